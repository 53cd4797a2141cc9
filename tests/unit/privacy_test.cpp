#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/privacy/scrubber.hpp"
#include "incursa/platform/privacy/tokenizer.hpp"
#include "incursa/platform/stores/memory_store.hpp"

namespace incursa::platform {
namespace {

TEST(PiiScrubber, MasksEmailAddresses) {
  const PiiScrubber s;
  EXPECT_EQ(s.scrub_text("mail ada@example.com now"), "mail [email] now");
  EXPECT_EQ(s.scrub_text("<first.last+tag@sub.example.co.uk>"), "<[email]>");
  EXPECT_EQ(s.scrub_text("a@b.io, c@d.org."), "[email], [email].");
  EXPECT_EQ(s.scrub_text("no address @ here"), "no address @ here");
  EXPECT_EQ(s.scrub_text("user@localhost"), "user@localhost");  // no TLD: not an address
  EXPECT_EQ(s.scrub_text("@handle"), "@handle");
}

TEST(PiiScrubber, MasksCardLikeDigitRuns) {
  const PiiScrubber s;
  EXPECT_EQ(s.scrub_text("card 4111111111111111 ok"), "card [card] ok");
  EXPECT_EQ(s.scrub_text("4111 1111 1111 1111"), "[card]");
  EXPECT_EQ(s.scrub_text("4111-1111-1111-1111."), "[card].");
  EXPECT_EQ(s.scrub_text("order 123456789012"), "order 123456789012");            // 12 digits: kept
  EXPECT_EQ(s.scrub_text("id 12345678901234567890"), "id 12345678901234567890");  // 20: kept
  EXPECT_EQ(s.scrub_text("2026-11-29"), "2026-11-29");
}

TEST(PiiScrubber, ScrubsEveryStringInJsonAndKeepsItValid) {
  const PiiScrubber s;
  const std::string out = s.scrub_json(
      R"({"to":"ada@example.com","n":4111111111111111,"list":["x 4111111111111111"],"k":{"ada@example.com":1}})");
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["to"], "[email]");
  EXPECT_EQ(j["n"], 4111111111111111);  // numbers are not text: the caller should not send them
  EXPECT_EQ(j["list"][0], "x [card]");
  EXPECT_TRUE(j["k"].contains("[email]"));
}

TEST(PiiScrubber, TrackerAppliesItBeforeStoring) {
  Tracker tracker(make_memory_store(),
                  {.clock = nullptr, .scrubber = std::make_shared<PiiScrubber>()});
  const OperationId id = tracker.start("Email.Send").id;
  tracker.update_progress(id, {.message = "sending to ada@example.com"});
  tracker.add_event(id, "sent", "to bob@example.org", R"({"card":"4111 1111 1111 1111"})");
  tracker.request_cancel(id, "asked by eve@example.net");
  const OperationSnapshot s = *tracker.get_snapshot(id);
  EXPECT_EQ(s.message, "sending to [email]");
  EXPECT_EQ(s.cancel_reason, "asked by [email]");
  const OperationEvent e = tracker.events(id).at(2);
  EXPECT_EQ(e.message, "to [email]");
  EXPECT_EQ(e.data_json, R"({"card":"[card]"})");
}

TEST(Tokenizer, MatchesHmacSha256) {
  // RFC 4231 test case 2 uses a short key; this is test case 1 (20 x 0x0b, "Hi There").
  const Tokenizer t(std::string(20, '\x0b'));
  EXPECT_EQ(t.token("Hi There"), "tok_b0344c61d8db38535ca8afceaf0bf12b");
}

TEST(Tokenizer, StableDistinctAndKeyed) {
  const Tokenizer a("0123456789abcdef-secret");
  const Tokenizer b("another-key-of-16-bytes");
  EXPECT_EQ(a.token("ada@example.com"), a.token("ada@example.com"));
  EXPECT_NE(a.token("ada@example.com"), a.token("bob@example.com"));
  EXPECT_NE(a.token("ada@example.com"), b.token("ada@example.com"));
  EXPECT_EQ(a.token("").size(), 36u);
  EXPECT_EQ(a.token("ada@example.com").find("ada"), std::string::npos);
}

TEST(Tokenizer, RejectsShortKeys) {
  EXPECT_THROW(Tokenizer("short"), ValidationError);
  EXPECT_THROW(Tokenizer(""), ValidationError);
  EXPECT_NO_THROW(Tokenizer(std::string(16, 'k')));
}

}  // namespace
}  // namespace incursa::platform
