#include "incursa/platform/audit/audit_validator.hpp"

#include <gtest/gtest.h>

namespace incursa::platform {
namespace {

AuditEvent valid_event() {
  AuditEvent e;
  e.name = "webhook.processed";
  e.display_message = "Webhook processed";
  e.anchors = {{"Operation", "op-1", "Subject"}};
  return e;
}

TEST(AuditValidator, ValidEventHasNoErrors) {
  EXPECT_TRUE(validate_audit_event(valid_event()).valid());
}

TEST(AuditValidator, ReportsTheFourOriginalMessagesInOrder) {
  AuditEvent e;
  e.data_json = std::string(16385, '1');
  const auto errors = validate_audit_event(e).errors;
  ASSERT_GE(errors.size(), 4u);
  EXPECT_EQ(errors[0], "Event name is required.");
  EXPECT_EQ(errors[1], "Display message is required.");
  EXPECT_EQ(errors[2], "At least one anchor is required.");
  EXPECT_EQ(errors[3], "DataJson exceeds maximum length of 16384 characters.");
}

TEST(AuditValidator, EachRuleAlone) {
  AuditEvent e = valid_event();
  e.name = "";
  EXPECT_EQ(validate_audit_event(e).errors, std::vector<std::string>{"Event name is required."});
  e = valid_event();
  e.display_message = "   ";
  EXPECT_EQ(validate_audit_event(e).errors,
            std::vector<std::string>{"Display message is required."});
  e = valid_event();
  e.anchors.clear();
  EXPECT_EQ(validate_audit_event(e).errors,
            std::vector<std::string>{"At least one anchor is required."});
}

TEST(AuditValidator, DataJsonLimitIsInCharactersAndConfigurable) {
  AuditEvent e = valid_event();
  e.data_json = "\"" + std::string(16382, 'x') + "\"";  // exactly 16384
  EXPECT_TRUE(validate_audit_event(e).valid());
  e.data_json = "\"" + std::string(8000, 'x') + "\"";
  EXPECT_EQ(validate_audit_event(e, {.max_data_json_length = 100}).errors,
            std::vector<std::string>{"DataJson exceeds maximum length of 100 characters."});
  // Multi-byte characters count once.
  std::string wide = "\"";
  for (int i = 0; i < 5000; ++i) wide += "\xE2\x9C\x93";  // 3 bytes, 1 character
  wide += "\"";
  e.data_json = wide;
  EXPECT_TRUE(validate_audit_event(e).valid());
}

TEST(AuditValidator, StricterChecks) {
  const auto one_error = [](AuditEvent e) {
    const auto errors = validate_audit_event(e).errors;
    EXPECT_EQ(errors.size(), 1u);
    return errors.empty() ? std::string() : errors[0];
  };
  AuditEvent e = valid_event();
  e.name = "Webhook.Processed";
  EXPECT_NE(one_error(e).find("lowercase"), std::string::npos);
  e.name = "webhook..processed";
  EXPECT_NE(one_error(e).find("lowercase"), std::string::npos);
  e = valid_event();
  e.anchors = {{"Operation", "", "Subject"}};
  EXPECT_EQ(one_error(e), "Anchor 1 id is required.");
  e.anchors = {{"", "x", "Subject"}};
  EXPECT_EQ(one_error(e), "Anchor 1 type is required.");
  e.anchors = {{"T", "x", " "}};
  EXPECT_EQ(one_error(e), "Anchor 1 role is required.");
  e = valid_event();
  e.data_json = "{bad";
  EXPECT_EQ(one_error(e), "DataJson must be valid JSON.");
  e = valid_event();
  e.actor = AuditActor{"", "", std::nullopt};
  EXPECT_EQ(validate_audit_event(e).errors,
            (std::vector<std::string>{"Actor type is required.", "Actor id is required."}));
  e = valid_event();
  e.display_message = "bad \xFF";
  EXPECT_NE(one_error(e).find("UTF-8"), std::string::npos);
}

TEST(AuditValidator, ErrorCarriesEveryMessage) {
  const AuditValidationError error({"Event name is required.", "Display message is required."});
  EXPECT_EQ(error.errors().size(), 2u);
  EXPECT_EQ(error.field(), "audit_event");
  EXPECT_EQ(std::string(error.what()),
            "audit_event: Event name is required. Display message is required.");
}

TEST(EventOutcome, ParseAndFormat) {
  for (auto o :
       {EventOutcome::Success, EventOutcome::Failure, EventOutcome::Warning, EventOutcome::Info}) {
    EXPECT_EQ(parse_event_outcome(to_string(o)), o);
  }
  EXPECT_THROW(parse_event_outcome("success"), ValidationError);
}

}  // namespace
}  // namespace incursa::platform
