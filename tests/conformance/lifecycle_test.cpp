// Start, reads, events and stall queries, on every store.
#include "incursa/platform/correlation/correlation_scope.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/operation_scope.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;
using namespace std::chrono_literals;

CorrelationContext sample_correlation(Timestamp at) {
  CorrelationContext c;
  c.correlation_id = CorrelationId::parse("corr-123");
  c.causation_id = CorrelationId::parse("cause-9");
  c.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  c.span_id = "00f067aa0ba902b7";
  c.created_at = at;
  c.tags = {{"tenant", "acme"}};
  return c;
}

TEST_P(StoreConformance, StartCreatesPendingOperationWithEveryFieldStored) {
  const OperationId parent = start("Batch.Parent");
  StartOptions options;
  options.correlation = sample_correlation(clock->now() - 1s);
  options.parent_id = parent;
  options.tags = {{"tenant", "acme"}, {"partition", "7"}};
  const OperationSnapshot s = tracker->start("Webhook.Process", options);
  EXPECT_EQ(s.id.value().size(), 32u);
  EXPECT_EQ(s.name, "Webhook.Process");
  EXPECT_EQ(s.status, S::Pending);
  EXPECT_EQ(s.started_at, clock->now());
  EXPECT_EQ(s.updated_at, clock->now());
  EXPECT_EQ(s.last_progress_at, clock->now());
  EXPECT_FALSE(s.completed_at.has_value());
  EXPECT_FALSE(s.percent.has_value());
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.stall_count, 0);
  EXPECT_EQ(s.correlation, options.correlation);
  EXPECT_EQ(s.parent_id, parent);
  EXPECT_EQ(s.tags, options.tags);
  EXPECT_EQ(tracker->get_snapshot(s.id), s);  // read-your-writes, every field
  const auto events = tracker->events(s.id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sequence, 1);
  EXPECT_EQ(events[0].kind, "status");
  EXPECT_EQ(events[0].message, "Pending");
}

TEST_P(StoreConformance, StartWithSameIdAndNameIsIdempotent) {
  StartOptions options;
  options.id = OperationId::parse("webhook-evt-42");
  const OperationSnapshot first = tracker->start("Webhook.Process", options);
  tracker->update_progress(first.id, {.percent = 10.0});
  const OperationSnapshot now = *tracker->get_snapshot(first.id);
  clock->advance(1min);
  const OperationSnapshot again = tracker->start("Webhook.Process", options);
  EXPECT_EQ(again, now);  // returned unchanged, not reset
  EXPECT_EQ(tracker->events(first.id).size(), 2u);
}

TEST_P(StoreConformance, StartWithSameIdAndOtherNameIsConflict) {
  StartOptions options;
  options.id = OperationId::parse("shared-id");
  tracker->start("Webhook.Process", options);
  const Recorded before = record(*options.id);
  EXPECT_THROW(tracker->start("Invoice.Generate", options), ConflictError);
  EXPECT_EQ(record(*options.id), before);
}

TEST_P(StoreConformance, AmbientCorrelationIsUsedWhenNoneIsGiven) {
  const CorrelationContext ambient = sample_correlation(clock->now());
  {
    CorrelationScope scope(ambient);
    EXPECT_EQ(tracker->start("With.Ambient").correlation, ambient);
    StartOptions explicit_one;
    explicit_one.correlation = sample_correlation(clock->now());
    explicit_one.correlation->correlation_id = CorrelationId::parse("explicit");
    EXPECT_EQ(tracker->start("With.Explicit", explicit_one).correlation, explicit_one.correlation);
  }
  EXPECT_FALSE(tracker->start("Without").correlation.has_value());
}

TEST_P(StoreConformance, StructuredProgressRoundTrips) {
  const OperationId id = start();
  StructuredProgress p{312, 1000, "rows"};
  tracker->update_progress(id, {.percent = 31.2, .message = "importing", .progress = p});
  EXPECT_EQ(tracker->get_snapshot(id)->progress, p);
  // Fields not given keep their value.
  tracker->update_progress(id, {.percent = 40.0});
  const OperationSnapshot s = *tracker->get_snapshot(id);
  EXPECT_EQ(s.progress, p);
  EXPECT_EQ(s.message, "importing");
  EXPECT_EQ(s.percent, 40.0);
  StructuredProgress unknown_total{5, std::nullopt, ""};
  tracker->update_progress(id, {.progress = unknown_total});
  EXPECT_EQ(tracker->get_snapshot(id)->progress, unknown_total);
}

TEST_P(StoreConformance, EventsHaveConsecutiveSequencesAndPage) {
  const OperationId id = start();
  for (int i = 0; i < 25; ++i) tracker->add_event(id, "step", "step " + std::to_string(i));
  const auto all = tracker->events(id);
  ASSERT_EQ(all.size(), 26u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].sequence, static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(all[i].operation_id, id);
  }
  const auto page = tracker->events(id, 10, 5);
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(page.front().sequence, 11);
  EXPECT_EQ(page.back().sequence, 15);
  EXPECT_EQ(page[0].message, "step 9");
  EXPECT_TRUE(tracker->events(id, 26).empty());
  EXPECT_TRUE(tracker->events(id, 1000).empty());
}

TEST_P(StoreConformance, ProgressWithAnEventIsOneWriteAndRefusedWhereProgressIs) {
  const OperationId id = start();  // Pending, version 1, event 1
  const auto written = tracker->update_progress_with_event(id, {.percent = 50.0, .message = "half"},
                                                           "checkpoint", "half way", R"({"n":5})");
  // Pending -> Running: the status event (2), then ours (3), in one write.
  EXPECT_EQ(written.snapshot.status, OperationStatus::Running);
  EXPECT_EQ(written.snapshot.version, 2);
  EXPECT_EQ(written.snapshot.percent, 50.0);
  EXPECT_EQ(written.snapshot.message, "half");
  EXPECT_EQ(written.event.sequence, 3);
  EXPECT_EQ(written.event.kind, "checkpoint");
  EXPECT_EQ(written.event.data_json, R"({"n":5})");
  EXPECT_EQ(tracker->get_snapshot(id), written.snapshot);
  const auto events = tracker->events(id);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].kind, "status");
  EXPECT_EQ(events[2], written.event);

  tracker->complete(id, OperationStatus::Succeeded);
  const auto done = tracker->get_snapshot(id);
  EXPECT_THROW(tracker->update_progress_with_event(id, {.percent = 60.0}, "late"),
               InvalidTransitionError);
  EXPECT_EQ(tracker->get_snapshot(id), done);
  EXPECT_EQ(tracker->events(id).size(), 4u);  // nothing written: not even the event
  EXPECT_THROW(tracker->update_progress_with_event(id, {.percent = 60.0}, ""), ValidationError);
  EXPECT_EQ(tracker->get_snapshot(id), done);
  EXPECT_EQ(tracker->events(id).size(), 4u);
}

TEST_P(StoreConformance, TimestampsTieButSequenceOrdersEvents) {
  const OperationId id = start();
  tracker->add_event(id, "a");
  tracker->add_event(id, "b");
  tracker->add_event(id, "c");
  const auto events = tracker->events(id, 1);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].occurred_at, events[2].occurred_at);
  EXPECT_EQ(events[0].kind, "a");
  EXPECT_EQ(events[2].kind, "c");
}

TEST_P(StoreConformance, EventDataAndMessagesRoundTripExactly) {
  const OperationId id = start();
  const std::string unicode = "Größe ✓ 日本 \xF0\x9F\x9A\x80";
  const OperationEvent written =
      tracker->add_event(id, "payload", unicode, R"({"a":[1,2,{"b":null}],"s":"x\"y"})");
  const OperationEvent read = tracker->events(id, 1).at(0);
  EXPECT_EQ(read, written);
  EXPECT_EQ(read.message, unicode);
  EXPECT_EQ(read.data_json, R"({"a":[1,2,{"b":null}],"s":"x\"y"})");
}

TEST_P(StoreConformance, MessagesAreTrimmedAndBlankMeansNone) {
  const OperationId id = start();
  EXPECT_EQ(tracker->update_progress(id, {.message = "  padded\t"}).message, "padded");
  EXPECT_EQ(tracker->update_progress(id, {.message = "   "}).message, "padded");  // kept
  EXPECT_FALSE(tracker->add_event(id, "k", "  ").message.has_value());
}

TEST_P(StoreConformance, FindStalledReturnsStaleOpenOperationsOldestFirst) {
  const OperationId old_pending = start("A.Pending");
  clock->advance(1min);
  const OperationId old_running = start_in(S::Running);
  clock->advance(1min);
  const OperationId done = start_in(S::Succeeded);
  const OperationId stalled = start_in(S::Stalled);
  clock->advance(1min);
  const OperationId fresh = start();
  clock->advance(30s);

  const auto found = tracker->find_stalled({.threshold = 1min});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, old_pending);
  EXPECT_EQ(found[1].id, old_running);
  (void)done;
  (void)stalled;
  (void)fresh;

  EXPECT_EQ(tracker->find_stalled({.threshold = 1min, .limit = 1}).size(), 1u);
  EXPECT_EQ(tracker->find_stalled({.threshold = 1min, .statuses = StatusSet{S::Running}}).at(0).id,
            old_running);
  EXPECT_EQ(tracker->find_stalled({.threshold = 10s}).size(), 3u);
}

TEST_P(StoreConformance, FindStalledOnProgressCatchesHeartbeatingWork) {
  const OperationId busy = start_in(S::Running);
  const OperationId progressing = start_in(S::Running);
  clock->advance(10min);
  tracker->heartbeat(busy);
  tracker->update_progress(progressing, {.percent = 5.0});
  EXPECT_TRUE(tracker->find_stalled({.threshold = 5min}).empty());
  const auto found = tracker->find_stalled({.threshold = 5min, .basis = ActivityBasis::Progress});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, busy);
}

TEST_P(StoreConformance, SnapshotJsonRoundTripsThroughTheStore) {
  StartOptions options;
  options.correlation = sample_correlation(clock->now());
  options.tags = {{"k", "v"}};
  const OperationId id = tracker->start("Json.Trip", options).id;
  tracker->update_progress(
      id, {.percent = 12.5, .message = "m", .progress = StructuredProgress{1, 8, "files"}});
  tracker->request_cancel(id, "why");
  const OperationSnapshot s = *tracker->get_snapshot(id);
  EXPECT_EQ(snapshot_from_json(to_json(s)), s);
  for (const OperationEvent& e : tracker->events(id)) EXPECT_EQ(event_from_json(to_json(e)), e);
}

TEST_P(StoreConformance, OperationScopeSucceedsOnNormalExit) {
  OperationId id;
  {
    OperationScope scope(*tracker, "Scope.Ok");
    id = scope.id();
    scope.progress(50, "half");
  }
  const OperationSnapshot s = *tracker->get_snapshot(id);
  EXPECT_EQ(s.status, S::Succeeded);
  EXPECT_EQ(s.percent, 50.0);
}

TEST_P(StoreConformance, OperationScopeFailsWhenAnExceptionUnwinds) {
  OperationId id;
  try {
    OperationScope scope(*tracker, "Scope.Throws");
    id = scope.id();
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(tracker->get_snapshot(id)->status, S::Failed);
  const auto events = tracker->events(id);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].kind, "Error");
}

TEST_P(StoreConformance, RunRecordsTheExceptionTextAndRethrows) {
  OperationId id;
  EXPECT_THROW(run(*tracker, "Run.Throws",
                   [&](OperationScope& scope) {
                     id = scope.id();
                     throw std::logic_error("bad invoice 42");
                   }),
               std::logic_error);
  const OperationSnapshot s = *tracker->get_snapshot(id);
  EXPECT_EQ(s.status, S::Failed);
  EXPECT_EQ(s.message, "bad invoice 42");
  const auto events = tracker->events(id);
  EXPECT_EQ(events[events.size() - 2].kind, "Error");
  EXPECT_EQ(events[events.size() - 2].message, "bad invoice 42");
  EXPECT_EQ(events.back().message, "Pending -> Failed");
}

TEST_P(StoreConformance, RunReturnsTheResultAndSucceeds) {
  OperationId id;
  const int answer = run(*tracker, "Run.Ok", [&](OperationScope& scope) {
    id = scope.id();
    return 42;
  });
  EXPECT_EQ(answer, 42);
  EXPECT_EQ(tracker->get_snapshot(id)->status, S::Succeeded);
}

TEST_P(StoreConformance, ScopeExposesCancelRequestAsStopToken) {
  OperationScope scope(*tracker, "Scope.Cancel");
  EXPECT_FALSE(scope.stop_token().stop_requested());
  tracker->request_cancel(scope.id(), "shutdown");
  EXPECT_FALSE(scope.stop_token().stop_requested());  // not seen until the worker reports
  scope.heartbeat();
  EXPECT_TRUE(scope.stop_token().stop_requested());
  scope.complete(S::Canceled);
  EXPECT_EQ(tracker->get_snapshot(scope.id())->status, S::Canceled);
}

TEST_P(StoreConformance, ScopeCompletedExplicitlyKeepsThatStatus) {
  OperationId id;
  {
    OperationScope scope(*tracker, "Scope.Explicit");
    id = scope.id();
    scope.fail("gave up");
  }
  EXPECT_EQ(tracker->get_snapshot(id)->status, S::Failed);
  EXPECT_EQ(tracker->events(id).at(1).message, "gave up");
}

TEST_P(StoreConformance, RecordFailureCleansOversizedAndInvalidText) {
  const OperationId id = start();
  const std::string huge(5000, 'x');
  record_failure(*tracker, id, std::runtime_error(huge + "\xFF"));
  const OperationSnapshot s = *tracker->get_snapshot(id);
  EXPECT_EQ(s.status, S::Failed);
  ASSERT_TRUE(s.message.has_value());
  EXPECT_LE(s.message->size(), 1024u);
  EXPECT_TRUE(s.message->ends_with("..."));

  // A NUL in the text (from a decoded payload, say) cannot be stored: it
  // becomes '?', and the failure is still recorded.
  const OperationId nul = start();
  record_failure(*tracker, nul, std::string_view("bad\0byte", 8));
  EXPECT_EQ(tracker->get_snapshot(nul)->status, S::Failed);
  EXPECT_EQ(tracker->get_snapshot(nul)->message, "bad?byte");
}

}  // namespace
}  // namespace incursa::platform::testing
