// The pieces of tools/common on their own: durations, the policy file, tables,
// the audit-event codec.
#include <gtest/gtest.h>

#include <sstream>

#include "incursa/platform/error.hpp"
#include "incursa/platform/stores/memory_store.hpp"
#include "incursa/tools/audit_json.hpp"
#include "incursa/tools/durations.hpp"
#include "incursa/tools/stall_policy_file.hpp"
#include "incursa/tools/text_table.hpp"
#include "incursa/tools/transfer.hpp"

namespace incursa::platform::tools {
namespace {

using namespace std::chrono_literals;
using platform::ValidationError;

TEST(Durations, FormatTwoUnitsAtMost) {
  EXPECT_EQ(format_duration(0ms), "0ms");
  EXPECT_EQ(format_duration(850ms), "850ms");
  EXPECT_EQ(format_duration(12s + 400ms), "12s");
  EXPECT_EQ(format_duration(4min + 12s), "4m12s");
  EXPECT_EQ(format_duration(4min), "4m");
  EXPECT_EQ(format_duration(2h + 5min + 59s), "2h5m");
  EXPECT_EQ(format_duration(3 * 24h + 4h + 1min), "3d4h");
  EXPECT_EQ(format_duration(-90s), "-1m30s");
}

TEST(Durations, RelativeTimes) {
  const platform::Timestamp now = platform::parse_iso8601("2026-01-01T12:00:00Z", "t");
  EXPECT_EQ(format_relative(now, now), "just now");
  EXPECT_EQ(format_relative(now - 999ms, now), "just now");
  EXPECT_EQ(format_relative(now - 45s, now), "45s ago");
  EXPECT_EQ(format_relative(now - 3min - 59s, now), "3m ago");
  EXPECT_EQ(format_relative(now - 2h, now), "2h ago");
  EXPECT_EQ(format_relative(now - 50h, now), "2d ago");
  EXPECT_EQ(format_relative(now + 3min, now), "in 3m");
  EXPECT_EQ(format_time(now + 123456us), "2026-01-01T12:00:00Z");
}

// Found by fuzz_durations (docs/fuzzing.md): negating Duration::min() overflowed.
TEST(Durations, FuzzRegressionFormatsTheMostNegativeDuration) {
  EXPECT_EQ(format_duration(Duration::min()), "-106751d23h");
  EXPECT_EQ(format_duration(Duration::max()), "106751d23h");
  EXPECT_EQ(format_duration(-1ns), "-0ms");
}

// Found by fuzz_durations: now - t overflowed for times centuries apart, which
// parse_time_arg and an import both accept (1677-09-22 .. 2262-04-11).
TEST(Durations, FuzzRegressionRelativeTimesCenturiesApart) {
  const platform::Timestamp now = platform::parse_iso8601("2026-01-01T00:00:00Z", "t");
  const platform::Timestamp oldest = platform::parse_iso8601("1677-09-22T00:00:00Z", "t");
  const platform::Timestamp latest = platform::parse_iso8601("2262-04-11T00:00:00Z", "t");
  EXPECT_EQ(format_relative(oldest, now), "106751d ago");  // saturated: over 292 years
  EXPECT_EQ(format_relative(now, oldest), "in 106751d");
  EXPECT_EQ(format_relative(latest, now), "in 86297d");  // exact: within range
  EXPECT_EQ(format_relative(oldest, latest), "106751d ago");
}

// Found by fuzz_import: a record nesting 100000 levels overflowed the stack
// (copying and re-serialising the snapshot recurse per level). Refused now.
TEST(TransferFuzzRegression, DeeplyNestedRecordIsAValidationError) {
  const auto store = platform::make_memory_store();
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::istringstream in(R"({"type":"operation","snapshot":{"tags":)" + deep + R"(},"events":[]})" +
                        "\n");
  try {
    (void)import_records(*store, in, ImportOptions{});
    FAIL() << "imported";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "input line 1: json");
    EXPECT_EQ(e.rule(), "must not nest deeper than 64 levels");
  }
}

TEST(Durations, ParseNamesTheOptionAndText) {
  EXPECT_EQ(parse_duration_arg("1h30m", "--keep"), 90min);
  try {
    parse_duration_arg("soon", "--keep");
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "--keep 'soon'");
  }
  const platform::Timestamp now = platform::parse_iso8601("2026-01-01T12:00:00Z", "t");
  EXPECT_EQ(parse_time_arg("2h", "--since", now), now - 2h);
  EXPECT_EQ(parse_time_arg("2026-01-01T10:00:00Z", "--since", now), now - 2h);
  EXPECT_THROW(parse_time_arg("2026-01-01T10:00:00+02:00", "--since", now), ValidationError);
  EXPECT_THROW(parse_time_arg("noon", "--since", now), ValidationError);
}

TEST(StallPolicyFile, ParsesEveryKey) {
  const StallPolicyFile p = parse_stall_policy(
      R"({"default":"6h","thresholds":{"Webhook.":"30m","Batch.":"6h"},"pending_limit":"10m",)"
      R"("no_progress":"2h","fail_after_stalls":3})",
      "p.json");
  EXPECT_EQ(p.policy.default_threshold, 6h);
  EXPECT_EQ(p.policy.threshold_for("Webhook.Process"), 30min);
  EXPECT_EQ(p.policy.pending_limit, 10min);
  EXPECT_EQ(p.policy.no_progress_threshold, 2h);
  EXPECT_EQ(p.fail_after_stalls, 3);
  const StallPolicyFile empty = parse_stall_policy("{}", "p.json");
  EXPECT_EQ(empty.policy.default_threshold, 30min);
  EXPECT_EQ(empty.fail_after_stalls, 0);
}

TEST(StallPolicyFile, RejectsWithTheKeyAtFault) {
  const auto field_of = [](const char* json) {
    try {
      parse_stall_policy(json, "p.json");
    } catch (const ValidationError& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(field_of(R"({"pending_limt":"10m"})"), "p.json: pending_limt");
  EXPECT_EQ(field_of(R"({"default":"0s"})"), "p.json: default");
  EXPECT_EQ(field_of(R"({"default":30})"), "p.json: default");
  EXPECT_EQ(field_of(R"({"thresholds":{"":"1h"}})"), "p.json: thresholds");
  EXPECT_EQ(field_of(R"({"thresholds":{"Batch.":"6 hours"}})"), "p.json: thresholds.Batch.");
  EXPECT_EQ(field_of(R"({"fail_after_stalls":-1})"), "p.json: fail_after_stalls");
  EXPECT_EQ(field_of("[]"), "p.json");
  EXPECT_EQ(field_of("{"), "p.json");
}

TEST(Table, AlignsCountsCodePointsAndKeepsColourOutOfTheWidths) {
  Table t({{"NAME"}, {"N", Table::Align::Right}, {"NOTE", Table::Align::Left, 5}});
  t.add_row({"a", "1", "short"});
  t.add_row({Cell("\u2588\u2588", Color::Red), "100", "much too long"});
  EXPECT_EQ(t.render(Style(false)),
            "NAME    N  NOTE\n"
            "a       1  short\n"
            "\u2588\u2588    100  much\u2026\n");
  const std::string coloured = t.render(Style(true));
  EXPECT_NE(coloured.find("\x1b[31m\u2588\u2588\x1b[0m    100"), std::string::npos) << coloured;
}

TEST(Table, FitToWidthSkipsEscapes) {
  EXPECT_EQ(fit_to_width("abcdef", 4), "abcd\x1b[0m");
  EXPECT_EQ(fit_to_width("\x1b[1mab\x1b[0mcd", 3), "\x1b[1mab\x1b[0mc\x1b[0m");
  EXPECT_EQ(fit_to_width("ab", 4), "ab");
  EXPECT_EQ(truncate_to_width("\u2588\u2588\u2588", 2), "\u2588\u2026");
}

TEST(AuditJson, RoundTripsEveryField) {
  platform::AuditEvent e;
  e.id = platform::AuditEventId::parse("evt-1");
  e.occurred_at = platform::parse_iso8601("2026-01-01T00:00:00.123456Z", "t");
  e.name = "invoice.paid";
  e.display_message = "Invoice paid";
  e.outcome = platform::EventOutcome::Warning;
  e.anchors = {{"Invoice", "in_1", "Subject"}, {"Customer", "c", "Owner"}};
  e.data_json = R"({"amount": 12345678901234567890})";
  e.actor = platform::AuditActor{"User", "u-1", std::nullopt};
  platform::CorrelationContext c;
  c.correlation_id = platform::CorrelationId::parse("corr");
  c.trace_id = "0af7651916cd43dd8448eb211c80319c";
  c.created_at = e.occurred_at;
  e.correlation = c;
  const auto json = audit_event_to_json(e);
  EXPECT_EQ(audit_event_from_json(json), e);
  EXPECT_EQ(audit_event_from_json(nlohmann::ordered_json::parse(json.dump())), e);
  auto extra = json;
  extra["colour"] = "red";
  EXPECT_THROW(audit_event_from_json(extra), ValidationError);
}

}  // namespace
}  // namespace incursa::platform::tools
