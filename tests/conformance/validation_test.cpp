// Every contract §7 rule: bad input is a ValidationError naming the field, and the
// store is left exactly as it was.
#include <cmath>
#include <functional>
#include <limits>

#include "incursa/platform/error.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;

struct BadCall {
  std::string label;
  std::string field;  // the field the error must name (prefix match)
  std::function<void(Tracker&, const OperationId&)> call;
};

void expect_rejected(StoreConformance* fixture, Tracker& tracker, const OperationId& id,
                     const std::function<StoreConformance::Recorded()>& record,
                     const BadCall& bad) {
  SCOPED_TRACE(bad.label);
  (void)fixture;
  const auto before = record();
  try {
    bad.call(tracker, id);
    ADD_FAILURE() << "expected ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field().rfind(bad.field, 0), 0u) << "field was " << e.field();
    EXPECT_FALSE(e.rule().empty());
  }
  EXPECT_EQ(record(), before) << "a rejected call wrote something";
}

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

TEST_P(StoreConformance, BadWritesAreRejectedAndWriteNothing) {
  const OperationId id = start_in(S::Running);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<BadCall> cases = {
      {"percent NaN", "percent",
       [&](Tracker& t, auto& i) { t.update_progress(i, {.percent = nan}); }},
      {"percent -1", "percent",
       [](Tracker& t, auto& i) { t.update_progress(i, {.percent = -1.0}); }},
      {"percent 101", "percent",
       [](Tracker& t, auto& i) { t.update_progress(i, {.percent = 101.0}); }},
      {"percent inf", "percent",
       [&](Tracker& t, auto& i) { t.update_progress(i, {.percent = inf}); }},
      {"message invalid UTF-8", "message",
       [](Tracker& t, auto& i) { t.update_progress(i, {.message = "bad \xC3\x28 bytes"}); }},
      {"message overlong encoding", "message",
       [](Tracker& t, auto& i) { t.update_progress(i, {.message = "\xC0\xAF"}); }},
      {"message surrogate", "message",
       [](Tracker& t, auto& i) { t.update_progress(i, {.message = "\xED\xA0\x80"}); }},
      {"message 1025 bytes", "message",
       [](Tracker& t, auto& i) { t.update_progress(i, {.message = repeat('m', 1025)}); }},
      {"progress current < 0", "progress.current",
       [](Tracker& t, auto& i) {
         t.update_progress(i, {.progress = StructuredProgress{-1, 5, ""}});
       }},
      {"progress total < 0", "progress.total",
       [](Tracker& t, auto& i) {
         t.update_progress(i, {.progress = StructuredProgress{1, -5, ""}});
       }},
      {"progress unit too long", "progress.unit",
       [](Tracker& t, auto& i) {
         t.update_progress(i, {.progress = StructuredProgress{1, 5, repeat('u', 33)}});
       }},
      {"event kind empty", "kind", [](Tracker& t, auto& i) { t.add_event(i, "  "); }},
      {"event kind 65", "kind", [](Tracker& t, auto& i) { t.add_event(i, repeat('k', 65)); }},
      {"event kind control", "kind", [](Tracker& t, auto& i) { t.add_event(i, "a\nb"); }},
      {"event message too long", "message",
       [](Tracker& t, auto& i) { t.add_event(i, "k", repeat('x', 2000)); }},
      {"data not JSON", "data_json", [](Tracker& t, auto& i) { t.add_event(i, "k", "m", "{"); }},
      {"data trailing garbage", "data_json",
       [](Tracker& t, auto& i) { t.add_event(i, "k", "m", "{} x"); }},
      {"data bare word", "data_json",
       [](Tracker& t, auto& i) { t.add_event(i, "k", "m", "nope"); }},
      {"data over 64 KiB", "data_json",
       [](Tracker& t, auto& i) { t.add_event(i, "k", "m", "\"" + repeat('d', 65536) + "\""); }},
      {"complete non-terminal", "status", [](Tracker& t, auto& i) { t.complete(i, S::Running); }},
      {"complete Stalled", "status", [](Tracker& t, auto& i) { t.complete(i, S::Stalled); }},
      {"complete message too long", "message",
       [](Tracker& t, auto& i) { t.complete(i, S::Succeeded, repeat('c', 1025)); }},
      {"cancel reason invalid", "reason",
       [](Tracker& t, auto& i) { t.request_cancel(i, "\xFF\xFE"); }},
      {"empty id", "operation_id", [](Tracker& t, auto&) { t.heartbeat(OperationId{}); }},
  };
  for (const BadCall& bad : cases) {
    expect_rejected(
        this, *tracker, id, [&] { return record(id); }, bad);
  }
}

TEST_P(StoreConformance, BadStartsAreRejectedAndCreateNothing) {
  const OperationId chosen = OperationId::parse("chosen-id");
  const auto with_tags = [](Tags tags) {
    return [tags](Tracker& t, const OperationId& i) {
      StartOptions o;
      o.id = i;
      o.tags = tags;
      t.start("Valid.Name", o);
    };
  };
  const auto named = [](std::string name) {
    return [name](Tracker& t, const OperationId& i) {
      StartOptions o;
      o.id = i;
      t.start(name, o);
    };
  };
  Tags too_many;
  for (int k = 0; k < 33; ++k) too_many["k" + std::to_string(k)] = "v";
  CorrelationContext bad_trace;
  bad_trace.correlation_id = CorrelationId::parse("c");
  bad_trace.trace_id = "XYZ";
  const std::vector<BadCall> cases = {
      {"name empty", "name", named("")},
      {"name digit first", "name", named("9Lives")},
      {"name empty segment", "name", named("Webhook..Process")},
      {"name leading dot", "name", named(".Webhook")},
      {"name trailing dot", "name", named("Webhook.")},
      {"name space", "name", named("Webhook Process")},
      {"name punctuation", "name", named("Webhook.Process!")},
      {"name unicode", "name", named("Wébhook")},
      {"name 201 chars", "name", named("A" + repeat('a', 200))},
      {"33 tags", "tags", with_tags(too_many)},
      {"tag key empty", "tags", with_tags({{"", "v"}})},
      {"tag key digit first", "tags", with_tags({{"1abc", "v"}})},
      {"tag key 65", "tags", with_tags({{"k" + repeat('k', 64), "v"}})},
      {"tag key space", "tags", with_tags({{"a b", "v"}})},
      {"tag value 257", "tags", with_tags({{"k", repeat('v', 257)}})},
      {"tag value invalid UTF-8", "tags", with_tags({{"k", "\xFF"}})},
      {"tag value control", "tags", with_tags({{"k", "a\x01"}})},
      {"bad trace id", "correlation.trace_id",
       [&](Tracker& t, const OperationId& i) {
         StartOptions o;
         o.id = i;
         o.correlation = bad_trace;
         t.start("Valid.Name", o);
       }},
  };
  for (const BadCall& bad : cases) {
    expect_rejected(
        this, *tracker, chosen, [&] { return record(chosen); }, bad);
  }
  EXPECT_FALSE(tracker->get_snapshot(chosen).has_value());
}

// One answer on every store for what PostgreSQL's text and jsonb cannot hold: a
// NUL byte in text, the escape \u0000 in JSON. Blank data is not JSON either.
TEST_P(StoreConformance, NulInTextOrJsonAndBlankDataAreRejectedOnEveryStore) {
  const OperationId id = start_in(S::Running);
  const std::string nul("a\0b", 3);
  const std::vector<BadCall> writes = {
      {"progress message NUL", "message",
       [&](Tracker& t, auto& i) { t.update_progress(i, {.message = nul}); }},
      {"progress unit NUL", "progress.unit",
       [&](Tracker& t, auto& i) {
         t.update_progress(i, {.progress = StructuredProgress{1, 2, nul}});
       }},
      {"event kind NUL", "kind", [&](Tracker& t, auto& i) { t.add_event(i, nul); }},
      {"event message NUL", "message", [&](Tracker& t, auto& i) { t.add_event(i, "k", nul); }},
      {"data raw NUL", "data_json",
       [](Tracker& t, auto& i) { t.add_event(i, "k", "m", std::string("\"a\0\"", 4)); }},
      {"data \\u0000 in a value", "data_json",
       [](Tracker& t, auto& i) { t.add_event(i, "k", "m", R"({"a":"x\u0000y"})"); }},
      {"data \\u0000 in a key", "data_json",
       [](Tracker& t, auto& i) { t.add_event(i, "k", "m", R"({"\u0000":1})"); }},
      {"data blank", "data_json", [](Tracker& t, auto& i) { t.add_event(i, "k", "m", ""); }},
      {"data whitespace", "data_json",
       [](Tracker& t, auto& i) { t.add_event(i, "k", "m", " \n "); }},
      {"progress with event, data \\u0000", "data_json",
       [](Tracker& t, auto& i) {
         t.update_progress_with_event(i, {.percent = 5.0}, "k", "m", R"(["\u0000"])");
       }},
      {"completion message NUL", "message",
       [&](Tracker& t, auto& i) { t.complete(i, S::Failed, nul); }},
      {"cancel reason NUL", "reason", [&](Tracker& t, auto& i) { t.request_cancel(i, nul); }},
  };
  for (const BadCall& bad : writes) {
    expect_rejected(
        this, *tracker, id, [&] { return record(id); }, bad);
  }

  const OperationId chosen = OperationId::parse("nul-start");
  CorrelationContext correlation;
  correlation.correlation_id = CorrelationId::parse("c-nul");
  correlation.tags = {{"k", nul}};
  const std::vector<BadCall> starts = {
      {"tag value NUL", "tags",
       [&](Tracker& t, const OperationId& i) {
         t.start("Valid.Name", {.id = i, .tags = {{"k", nul}}});
       }},
      {"correlation tag NUL", "correlation.tags",
       [&](Tracker& t, const OperationId& i) {
         t.start("Valid.Name", {.id = i, .correlation = correlation});
       }},
  };
  for (const BadCall& bad : starts) {
    expect_rejected(
        this, *tracker, chosen, [&] { return record(chosen); }, bad);
  }
  EXPECT_FALSE(tracker->get_snapshot(chosen).has_value());

  // What only looks like one is text: an escaped backslash before "u0000".
  const std::string lookalike = R"({"path":"C:\\u0000","s":"\\\\u0000"})";
  EXPECT_EQ(tracker->add_event(id, "k", std::nullopt, lookalike).data_json, lookalike);
  EXPECT_EQ(tracker->events(id).back().data_json, lookalike);
}

TEST_P(StoreConformance, LimitsAreInclusive) {
  StartOptions options;
  for (int k = 0; k < 32; ++k) options.tags["k" + std::to_string(k)] = repeat('v', 256);
  options.tags["K" + repeat('k', 63)] = "";
  options.tags.erase("k0");
  const OperationId id = tracker->start("A" + repeat('a', 199), options).id;
  tracker->update_progress(id, {.percent = 0.0});
  tracker->update_progress(id, {.percent = 100.0, .message = repeat('m', 1024)});
  tracker->add_event(id, repeat('k', 64), "\xE2\x9C\x93", "\"" + repeat('d', 65534) + "\"");
  EXPECT_EQ(tracker->get_snapshot(id)->message->size(), 1024u);
  EXPECT_EQ(tracker->get_snapshot(id)->tags.size(), 32u);
}

TEST_P(StoreConformance, BadReadArgumentsAreRejected) {
  const OperationId id = start();
  EXPECT_THROW(tracker->events(id, 0, 0), ValidationError);
  EXPECT_THROW(tracker->events(id, 0, 10001), ValidationError);
  EXPECT_THROW(tracker->events(id, -1, 10), ValidationError);
  EXPECT_THROW(tracker->find_stalled({.threshold = std::chrono::seconds(-1)}), ValidationError);
  EXPECT_THROW(tracker->find_stalled({.statuses = StatusSet{S::Succeeded}}), ValidationError);
  EXPECT_THROW(tracker->find_stalled({.limit = 0}), ValidationError);
}

}  // namespace
}  // namespace incursa::platform::testing
