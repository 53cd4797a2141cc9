// The JSON encoding of snapshots, events, correlation and tags: round trips,
// snake_case field names, and rejection of malformed or hostile input.
#include "incursa/platform/operations/operation_json.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "incursa/platform/error.hpp"

namespace incursa::platform {
namespace {

using nlohmann::json;
using namespace std::chrono;

Timestamp t0() {
  return Timestamp(sys_days{year{2026} / 3 / 14} + hours{9} + microseconds{265358});
}

CorrelationContext minimal_correlation() {
  return CorrelationContext{.correlation_id = CorrelationId::parse("corr-1"),
                            .causation_id = std::nullopt,
                            .trace_id = std::nullopt,
                            .span_id = std::nullopt,
                            .created_at = t0(),
                            .tags = {}};
}

CorrelationContext full_correlation() {
  CorrelationContext c = minimal_correlation();
  c.causation_id = CorrelationId::parse("cause-9");
  c.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  c.span_id = "00f067aa0ba902b7";
  c.tags = {{"tenant", "acme"}, {"region", "eu-west"}};
  return c;
}

OperationSnapshot minimal_snapshot() {
  OperationSnapshot s;
  s.id = OperationId::parse("op-1");
  s.name = "Webhook.Process";
  s.status = OperationStatus::Pending;
  s.started_at = s.updated_at = s.last_progress_at = t0();
  return s;
}

OperationSnapshot full_snapshot() {
  OperationSnapshot s = minimal_snapshot();
  s.status = OperationStatus::Canceled;
  s.updated_at = t0() + seconds(30);
  s.last_progress_at = t0() + seconds(20);
  s.completed_at = t0() + seconds(30);
  s.percent = 42.5;
  s.message = "caf\xc3\xa9 \"quoted\" \\ back\nslash \xf0\x9f\x98\x80";
  s.progress = StructuredProgress{.current = 312, .total = 1000, .unit = "rows"};
  s.correlation = full_correlation();
  s.parent_id = OperationId::parse("parent:7");
  s.tags = {{"tenant", "acme"}, {"empty", ""}};
  s.cancel_requested_at = t0() + seconds(25);
  s.cancel_reason = "user asked";
  s.stall_count = 3;
  s.version = 17;
  return s;
}

OperationEvent full_event() {
  OperationEvent e;
  e.operation_id = OperationId::parse("op-1");
  e.sequence = 5;
  e.occurred_at = t0() + microseconds(1);
  e.kind = "status";
  e.message = "Running -> Stalled";
  e.data_json = R"({"a":1,"b":[true,null,"x"],"c":{"d":"e"}})";
  e.key = "k-123";
  return e;
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.insert(key);
  return keys;
}

// Expects `f` to throw a ValidationError; when `field` is non-empty, naming it.
template <class F>
void expect_invalid(F&& f, const std::string& field, const std::string& what) {
  try {
    (void)f();
    ADD_FAILURE() << "accepted: " << what;
  } catch (const ValidationError& e) {
    if (!field.empty()) {
      EXPECT_EQ(e.field(), field) << what << " -> " << e.what();
    }
    EXPECT_FALSE(e.rule().empty());
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-ValidationError for " << what << ": " << e.what();
  }
}

void expect_bad_snapshot(const json& j, const std::string& field, const std::string& what) {
  expect_invalid([&] { return snapshot_from_json(j.dump()); }, field, what);
}

json snapshot_json() { return json::parse(to_json(full_snapshot())); }

// ---- round trips ------------------------------------------------------------------

TEST(OperationJson, FullSnapshotRoundTrips) {
  const OperationSnapshot s = full_snapshot();
  EXPECT_EQ(snapshot_from_json(to_json(s)), s);
}

TEST(OperationJson, MinimalSnapshotRoundTrips) {
  const OperationSnapshot s = minimal_snapshot();
  const OperationSnapshot back = snapshot_from_json(to_json(s));
  EXPECT_EQ(back, s);
  EXPECT_FALSE(back.completed_at.has_value());
  EXPECT_FALSE(back.percent.has_value());
  EXPECT_FALSE(back.message.has_value());
  EXPECT_FALSE(back.progress.has_value());
  EXPECT_FALSE(back.correlation.has_value());
  EXPECT_FALSE(back.parent_id.has_value());
  EXPECT_FALSE(back.cancel_requested_at.has_value());
  EXPECT_FALSE(back.cancel_reason.has_value());
}

TEST(OperationJson, EachOptionalFieldAloneRoundTrips) {
  std::vector<OperationSnapshot> variants;
  const auto with = [&](auto set) {
    OperationSnapshot s = minimal_snapshot();
    set(s);
    variants.push_back(s);
  };
  with([](OperationSnapshot& s) { s.completed_at = t0() + hours(1); });
  with([](OperationSnapshot& s) { s.percent = 0.0; });
  with([](OperationSnapshot& s) { s.percent = 100.0; });
  with([](OperationSnapshot& s) { s.percent = 33.333333333333336; });
  with([](OperationSnapshot& s) { s.message = "m"; });
  with([](OperationSnapshot& s) { s.progress = StructuredProgress{}; });
  with([](OperationSnapshot& s) {
    s.progress = StructuredProgress{.current = 7, .total = std::nullopt, .unit = ""};
  });
  with([](OperationSnapshot& s) { s.correlation = minimal_correlation(); });
  with([](OperationSnapshot& s) { s.parent_id = OperationId::parse("p"); });
  with([](OperationSnapshot& s) { s.cancel_requested_at = t0(); });
  with([](OperationSnapshot& s) { s.cancel_reason = "why"; });
  with([](OperationSnapshot& s) { s.tags = {{"a", "b"}}; });
  for (const auto& status : {OperationStatus::Running, OperationStatus::Succeeded,
                             OperationStatus::Failed, OperationStatus::Stalled}) {
    with([status](OperationSnapshot& s) { s.status = status; });
  }
  for (std::size_t i = 0; i < variants.size(); ++i) {
    EXPECT_EQ(snapshot_from_json(to_json(variants[i])), variants[i]) << "variant " << i;
  }
}

TEST(OperationJson, SnapshotTimestampsBeforeEpochRoundTrip) {
  OperationSnapshot s = minimal_snapshot();
  s.started_at = Timestamp{} - microseconds(1);
  s.completed_at = Timestamp{};
  EXPECT_EQ(snapshot_from_json(to_json(s)), s);
}

TEST(OperationJson, EventRoundTrips) {
  const OperationEvent e = full_event();
  EXPECT_EQ(event_from_json(to_json(e)), e);

  OperationEvent bare;
  bare.operation_id = OperationId::parse("op-2");
  bare.sequence = 1;
  bare.occurred_at = t0();
  bare.kind = "note";
  const OperationEvent back = event_from_json(to_json(bare));
  EXPECT_EQ(back, bare);
  EXPECT_FALSE(back.message.has_value());
  EXPECT_FALSE(back.data_json.has_value());
  EXPECT_EQ(back.key, "");
}

TEST(OperationJson, EventDataIsKeptAsTheCallersExactText) {
  const json j = json::parse(to_json(full_event()));
  ASSERT_TRUE(j.at("data_json").is_string());
  EXPECT_EQ(j.at("data_json").get<std::string>(), *full_event().data_json);
  EXPECT_EQ(event_from_json(j.dump()).data_json, full_event().data_json);
}

TEST(OperationJson, EventDataKeepsLargeIntegersExactly) {
  // Valid JSON data (validation::data_json accepts it) must not be altered on the way through.
  OperationEvent e = full_event();
  e.data_json = R"({"n":123456789012345678901234567890})";
  const OperationEvent back = event_from_json(to_json(e));
  ASSERT_TRUE(back.data_json.has_value());
  EXPECT_NE(back.data_json->find("123456789012345678901234567890"), std::string::npos)
      << *back.data_json;
}

TEST(OperationJson, CorrelationRoundTrips) {
  EXPECT_EQ(correlation_from_json(to_json(full_correlation())), full_correlation());
  EXPECT_EQ(correlation_from_json(to_json(minimal_correlation())), minimal_correlation());
}

TEST(OperationJson, TagsRoundTrip) {
  const Tags tags{{"tenant", "acme"}, {"k.v-x_y", "caf\xc3\xa9"}, {"empty", ""}};
  EXPECT_EQ(tags_from_json(to_json(tags)), tags);
  EXPECT_EQ(tags_from_json(to_json(Tags{})), Tags{});
  EXPECT_EQ(to_json(Tags{}), "{}");
  EXPECT_EQ(tags_from_json("null"), Tags{});
}

// ---- field names ----------------------------------------------------------------------

TEST(OperationJson, SnapshotFieldNamesAreSnakeCase) {
  const json j = snapshot_json();
  ASSERT_TRUE(j.is_object());
  const std::set<std::string> expected{"id",
                                       "name",
                                       "status",
                                       "started_at",
                                       "updated_at",
                                       "last_progress_at",
                                       "completed_at",
                                       "percent",
                                       "message",
                                       "progress",
                                       "correlation",
                                       "parent_id",
                                       "tags",
                                       "cancel_requested_at",
                                       "cancel_reason",
                                       "stall_count",
                                       "version"};
  EXPECT_EQ(keys_of(j), expected);
  EXPECT_EQ(keys_of(j.at("progress")), (std::set<std::string>{"current", "total", "unit"}));
  EXPECT_EQ(j.at("status"), "Canceled");
  EXPECT_EQ(j.at("id"), "op-1");
  EXPECT_EQ(j.at("parent_id"), "parent:7");
  EXPECT_EQ(j.at("started_at"), "2026-03-14T09:00:00.265358Z");
  EXPECT_EQ(j.at("stall_count"), 3);
  EXPECT_EQ(j.at("version"), 17);
  EXPECT_EQ(j.at("percent"), 42.5);
}

TEST(OperationJson, UnsetOptionalsAreNull) {
  const json j = json::parse(to_json(minimal_snapshot()));
  for (const char* key : {"completed_at", "percent", "message", "progress", "correlation",
                          "parent_id", "cancel_requested_at", "cancel_reason"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j.at(key).is_null()) << key;
  }
  EXPECT_TRUE(j.at("tags").is_object());
  EXPECT_TRUE(j.at("tags").empty());
}

TEST(OperationJson, CorrelationAndEventFieldNames) {
  const json c = json::parse(to_json(full_correlation()));
  EXPECT_EQ(keys_of(c), (std::set<std::string>{"correlation_id", "causation_id", "trace_id",
                                               "span_id", "created_at", "tags"}));
  EXPECT_EQ(keys_of(snapshot_json().at("correlation")), keys_of(c));
  const json e = json::parse(to_json(full_event()));
  EXPECT_EQ(keys_of(e), (std::set<std::string>{"operation_id", "sequence", "occurred_at", "kind",
                                               "message", "data_json", "key"}));
  EXPECT_EQ(e.at("sequence"), 5);
  EXPECT_EQ(e.at("occurred_at"), "2026-03-14T09:00:00.265359Z");
}

// ---- hostile input ------------------------------------------------------------------------

TEST(OperationJsonHostile, NotJsonIsRejected) {
  for (const std::string& bad :
       {std::string(""), std::string("{"), std::string("nope"), std::string("{\"id\":}"),
        std::string("\xff\xfe"), std::string("{\"id\":\"a\xff\"}"), std::string("{} {}"),
        std::string("{'id':'x'}")}) {
    expect_invalid([&] { return snapshot_from_json(bad); }, "json", "snapshot " + bad);
    expect_invalid([&] { return event_from_json(bad); }, "json", "event " + bad);
    expect_invalid([&] { return correlation_from_json(bad); }, "json", "correlation " + bad);
    expect_invalid([&] { return tags_from_json(bad); }, "", "tags " + bad);
  }
}

TEST(OperationJsonHostile, NonObjectsAreRejected) {
  for (const char* bad : {"[]", "[{\"id\":\"op-1\"}]", "42", "\"op-1\"", "true", "null"}) {
    expect_invalid([&] { return snapshot_from_json(bad); }, "json", bad);
    expect_invalid([&] { return event_from_json(bad); }, "json", bad);
    expect_invalid([&] { return correlation_from_json(bad); }, "json", bad);
  }
  expect_invalid([] { return tags_from_json("[]"); }, "tags", "tags array");
  expect_invalid([] { return tags_from_json("\"x\""); }, "tags", "tags string");
}

TEST(OperationJsonHostile, MissingRequiredFieldsAreRejected) {
  for (const char* key : {"id", "name", "status", "started_at", "updated_at", "last_progress_at",
                          "stall_count", "version"}) {
    json j = snapshot_json();
    j.erase(key);
    expect_bad_snapshot(j, key, std::string("missing ") + key);
  }
  json e = json::parse(to_json(full_event()));
  for (const char* key : {"operation_id", "sequence", "occurred_at", "kind"}) {
    json copy = e;
    copy.erase(key);
    expect_invalid([&] { return event_from_json(copy.dump()); }, key, key);
  }
  json c = json::parse(to_json(full_correlation()));
  for (const char* key : {"correlation_id", "created_at"}) {
    json copy = c;
    copy.erase(key);
    expect_invalid([&] { return correlation_from_json(copy.dump()); }, key, key);
  }
  expect_invalid([] { return snapshot_from_json("{}"); }, "id", "empty object");
}

TEST(OperationJsonHostile, WrongTypesAreRejected) {
  const auto bad = [](const char* key, json value, const std::string& field) {
    json j = snapshot_json();
    j[key] = value;
    expect_bad_snapshot(j, field, std::string(key) + " = " + value.dump());
  };
  bad("id", 5, "id");
  bad("id", nullptr, "id");
  bad("name", json::array(), "name");
  bad("status", 1, "status");
  bad("status", "running", "status");
  bad("status", "", "status");
  bad("started_at", 0, "started_at");
  bad("percent", "50", "percent");
  bad("percent", true, "percent");
  bad("message", 5, "message");
  bad("message", json::object(), "message");
  bad("stall_count", "1", "stall_count");
  bad("stall_count", 1.5, "stall_count");
  bad("version", nullptr, "version");
  bad("version", 2.0, "version");
  bad("tags", json::array({"a"}), "tags");
  bad("tags", json{{"a", 1}}, "tags");
  bad("tags", json{{"a", nullptr}}, "tags");
  bad("tags", "a=b", "tags");
  bad("cancel_reason", false, "cancel_reason");
  bad("parent_id", 7, "parent_id");
  bad("progress", 5, "json");
  bad("progress", json{{"current", "x"}}, "current");
  bad("progress", json{{"current", 1}, {"total", "2"}}, "total");
  bad("progress", json{{"total", 2}}, "current");
  bad("correlation", "corr-1", "json");
  bad("correlation", json{{"correlation_id", 5}}, "correlation_id");
}

TEST(OperationJsonHostile, BadTimestampsAreRejected) {
  for (const char* key :
       {"started_at", "updated_at", "last_progress_at", "completed_at", "cancel_requested_at"}) {
    for (const char* value :
         {"2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00+01:00",
          "2026-01-01T00:00:00", "yesterday", "", "1767225600"}) {
      json j = snapshot_json();
      j[key] = value;
      expect_bad_snapshot(j, key, std::string(key) + " = " + value);
    }
  }
  json e = json::parse(to_json(full_event()));
  e["occurred_at"] = "2026-01-01T25:00:00Z";
  expect_invalid([&] { return event_from_json(e.dump()); }, "occurred_at", "event time");
  json c = json::parse(to_json(full_correlation()));
  c["created_at"] = "2026-01-01T00:00:00Zjunk";
  expect_invalid([&] { return correlation_from_json(c.dump()); }, "created_at", "created_at");
}

TEST(OperationJsonHostile, InvalidIdsAreRejected) {
  for (const std::string& bad :
       {std::string(""), std::string("   "), std::string("a b"), std::string("../../etc/passwd"),
        std::string(65, 'a'), std::string("a\0b", 3), std::string("caf\xc3\xa9")}) {
    json j = snapshot_json();
    j["id"] = bad;
    expect_bad_snapshot(j, "operation_id", "id");
    json p = snapshot_json();
    p["parent_id"] = bad;
    expect_bad_snapshot(p, "", "parent_id");
    json e = json::parse(to_json(full_event()));
    e["operation_id"] = bad;
    expect_invalid([&] { return event_from_json(e.dump()); }, "operation_id", "event id");
    json c = json::parse(to_json(full_correlation()));
    c["correlation_id"] = bad;
    expect_invalid([&] { return correlation_from_json(c.dump()); }, "correlation_id", "corr id");
    json d = json::parse(to_json(full_correlation()));
    d["causation_id"] = bad;
    expect_invalid([&] { return correlation_from_json(d.dump()); }, "correlation_id", "cause id");
  }
}

TEST(OperationJsonHostile, IntegersOutOfRangeAreRejected) {
  // Unsigned values above INT64_MAX must not wrap around to negative counters.
  for (const char* key : {"version", "stall_count"}) {
    json j = snapshot_json();
    j[key] = static_cast<std::uint64_t>(9223372036854775808ULL);
    expect_bad_snapshot(j, key, std::string(key) + " = 2^63");
    json k = json::parse(to_json(full_snapshot()));
    k[key] = std::numeric_limits<std::uint64_t>::max();
    expect_bad_snapshot(k, key, std::string(key) + " = 2^64-1");
  }
  json e = json::parse(to_json(full_event()));
  e["sequence"] = std::numeric_limits<std::uint64_t>::max();
  expect_invalid([&] { return event_from_json(e.dump()); }, "sequence", "sequence = 2^64-1");
}

TEST(OperationJsonHostile, NumberOverflowIsRejected) {
  std::string text = to_json(full_snapshot());
  const std::string from = "\"percent\":42.5";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(), "\"percent\":1e400");
  expect_invalid([&] { return snapshot_from_json(text); }, "json", "percent 1e400");
}

TEST(OperationJsonHostile, IntegerBoundariesAreKept) {
  json j = snapshot_json();
  j["version"] = std::numeric_limits<std::int64_t>::max();
  j["stall_count"] = 0;
  const OperationSnapshot s = snapshot_from_json(j.dump());
  EXPECT_EQ(s.version, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(s.stall_count, 0);
}

TEST(OperationJsonHostile, IdsAreTrimmedLikeParse) {
  json j = snapshot_json();
  j["id"] = "  op-1  ";
  EXPECT_EQ(snapshot_from_json(j.dump()).id, OperationId::parse("op-1"));
}

TEST(OperationJsonHostile, UnknownFieldsAreIgnored) {
  json j = snapshot_json();
  j["extra"] = json{{"nested", json::array({1, 2, 3})}};
  EXPECT_EQ(snapshot_from_json(j.dump()), full_snapshot());
}

TEST(OperationJsonHostile, DeepNestingDoesNotCrash) {
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  expect_invalid([&] { return snapshot_from_json(deep); }, "json", "deep array");
  // Deep nesting anywhere is refused before parsing, even in a field that is ignored...
  json j = snapshot_json();
  std::string text = j.dump();
  text.insert(text.size() - 1, ",\"extra\":" + deep);
  expect_invalid([&] { return snapshot_from_json(text); }, "json", "deep extra field");
  // ...while ordinary nesting in an unknown field is fine.
  j["extra"] = json::parse(std::string(30, '[') + std::string(30, ']'));
  EXPECT_EQ(snapshot_from_json(j.dump()).id, OperationId::parse("op-1"));
}

}  // namespace
}  // namespace incursa::platform
