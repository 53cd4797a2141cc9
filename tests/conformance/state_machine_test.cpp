// Every cell of the contract §3 transition table, on every store.
#include <array>

#include "incursa/platform/error.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;
constexpr std::array<S, 3> kTerminal{S::Succeeded, S::Failed, S::Canceled};
constexpr std::array<S, 3> kOpen{S::Pending, S::Running, S::Stalled};

// The last event must be the status event for from -> to.
void expect_status_event(const std::vector<OperationEvent>& events, S from, S to) {
  ASSERT_FALSE(events.empty());
  const OperationEvent& e = events.back();
  EXPECT_EQ(e.kind, "status");
  EXPECT_EQ(e.message, std::string(to_string(from)) + " -> " + std::string(to_string(to)));
}

TEST_P(StoreConformance, ProgressMovesPendingAndStalledToRunningAndKeepsRunning) {
  for (S from : kOpen) {
    SCOPED_TRACE(std::string(to_string(from)));
    const OperationId id = start_in(from);
    const Recorded before = record(id);
    clock->advance(std::chrono::seconds(5));
    const OperationSnapshot after =
        tracker->update_progress(id, {.percent = 40.0, .message = "half"});
    EXPECT_EQ(after.status, S::Running);
    EXPECT_EQ(after.version, before.snapshot->version + 1);
    EXPECT_EQ(after.percent, 40.0);
    EXPECT_EQ(after.message, "half");
    EXPECT_EQ(after.last_progress_at, clock->now());
    EXPECT_EQ(after.updated_at, clock->now());
    const auto events = tracker->events(id);
    if (from == S::Running) {
      EXPECT_EQ(events.size(), before.events.size());
    } else {
      ASSERT_EQ(events.size(), before.events.size() + 1);
      expect_status_event(events, from, S::Running);
    }
    EXPECT_EQ(*tracker->get_snapshot(id), after);
  }
}

TEST_P(StoreConformance, HeartbeatMovesToRunningWithoutMovingProgressTime) {
  for (S from : kOpen) {
    SCOPED_TRACE(std::string(to_string(from)));
    const OperationId id = start_in(from);
    const Recorded before = record(id);
    clock->advance(std::chrono::seconds(5));
    const OperationSnapshot after = tracker->heartbeat(id);
    EXPECT_EQ(after.status, S::Running);
    EXPECT_EQ(after.version, before.snapshot->version + 1);
    EXPECT_EQ(after.updated_at, clock->now());
    EXPECT_EQ(after.last_progress_at, before.snapshot->last_progress_at);
    if (from != S::Running) expect_status_event(tracker->events(id), from, S::Running);
  }
}

TEST_P(StoreConformance, ProgressAndHeartbeatOnTerminalAreInvalidAndWriteNothing) {
  for (S terminal : kTerminal) {
    SCOPED_TRACE(std::string(to_string(terminal)));
    const OperationId id = start_in(terminal);
    const Recorded before = record(id);
    try {
      tracker->update_progress(id, {.percent = 10.0});
      FAIL() << "expected InvalidTransitionError";
    } catch (const InvalidTransitionError& e) {
      EXPECT_EQ(e.current_status(), terminal);
    }
    EXPECT_THROW(tracker->heartbeat(id), InvalidTransitionError);
    EXPECT_EQ(record(id), before);
  }
}

TEST_P(StoreConformance, AddEventKeepsStatusInEveryStateIncludingTerminal) {
  for (S from : {S::Pending, S::Running, S::Stalled, S::Succeeded, S::Failed, S::Canceled}) {
    SCOPED_TRACE(std::string(to_string(from)));
    const OperationId id = start_in(from);
    const Recorded before = record(id);
    clock->advance(std::chrono::seconds(1));
    const OperationEvent e = tracker->add_event(id, "note", "late evidence", R"({"n":1})");
    EXPECT_EQ(e.sequence, static_cast<std::int64_t>(before.events.size()) + 1);
    EXPECT_EQ(e.kind, "note");
    EXPECT_EQ(e.message, "late evidence");
    EXPECT_EQ(e.occurred_at, clock->now());
    const OperationSnapshot after = *tracker->get_snapshot(id);
    EXPECT_EQ(after.status, from);
    EXPECT_EQ(after.version, before.snapshot->version + 1);
    EXPECT_EQ(after.updated_at, clock->now());
    EXPECT_EQ(after.last_progress_at, before.snapshot->last_progress_at);
  }
}

TEST_P(StoreConformance, CompleteFromEveryOpenStatusToEveryTerminalStatus) {
  for (S from : kOpen) {
    for (S to : kTerminal) {
      SCOPED_TRACE(std::string(to_string(from)) + " -> " + std::string(to_string(to)));
      const OperationId id = start_in(from);
      const Recorded before = record(id);
      clock->advance(std::chrono::seconds(3));
      const OperationSnapshot after = tracker->complete(id, to, "done");
      EXPECT_EQ(after.status, to);
      EXPECT_EQ(after.completed_at, clock->now());
      EXPECT_EQ(after.message, "done");
      EXPECT_EQ(after.version, before.snapshot->version + 1);
      const auto events = tracker->events(id);
      ASSERT_EQ(events.size(), before.events.size() + 1);
      expect_status_event(events, from, to);
    }
  }
}

TEST_P(StoreConformance, CompleteAgainWithSameStatusIsNoOpAndOtherStatusIsInvalid) {
  for (S terminal : kTerminal) {
    for (S again : kTerminal) {
      SCOPED_TRACE(std::string(to_string(terminal)) + " then " + std::string(to_string(again)));
      const OperationId id = start_in(terminal);
      const Recorded before = record(id);
      clock->advance(std::chrono::seconds(1));
      if (again == terminal) {
        EXPECT_EQ(tracker->complete(id, again), *before.snapshot);
      } else {
        try {
          tracker->complete(id, again);
          FAIL() << "expected InvalidTransitionError";
        } catch (const InvalidTransitionError& e) {
          EXPECT_EQ(e.current_status(), terminal);
        }
      }
      EXPECT_EQ(record(id), before);
    }
  }
}

TEST_P(StoreConformance, MarkStalledMovesPendingAndRunningAndCountsStalls) {
  for (S from : {S::Pending, S::Running}) {
    SCOPED_TRACE(std::string(to_string(from)));
    const OperationId id = start_in(from);
    const Recorded before = record(id);
    EXPECT_TRUE(tracker->mark_stalled(id));
    const OperationSnapshot after = *tracker->get_snapshot(id);
    EXPECT_EQ(after.status, S::Stalled);
    EXPECT_EQ(after.stall_count, 1);
    EXPECT_EQ(after.version, before.snapshot->version + 1);
    expect_status_event(tracker->events(id), from, S::Stalled);
    // Resumed, then stalled again: the count keeps going.
    tracker->heartbeat(id);
    EXPECT_TRUE(tracker->mark_stalled(id));
    EXPECT_EQ(tracker->get_snapshot(id)->stall_count, 2);
  }
}

TEST_P(StoreConformance, MarkStalledIsNoOpWhenStalledOrTerminal) {
  for (S from : {S::Stalled, S::Succeeded, S::Failed, S::Canceled}) {
    SCOPED_TRACE(std::string(to_string(from)));
    const OperationId id = start_in(from);
    const Recorded before = record(id);
    EXPECT_FALSE(tracker->mark_stalled(id));
    EXPECT_FALSE(tracker->mark_stalled(
        id, StaleCondition{ActivityBasis::Activity, clock->now() + std::chrono::hours(1)}));
    EXPECT_EQ(record(id), before);
  }
}

TEST_P(StoreConformance, ConditionalMarkStalledLeavesRecentlyActiveOperationsAlone) {
  for (S from : {S::Pending, S::Running}) {
    SCOPED_TRACE(std::string(to_string(from)));
    const OperationId id = start_in(from);
    const Timestamp scan_cutoff = clock->now();  // the scan saw it as stale up to here...
    clock->advance(std::chrono::minutes(1));
    tracker->add_event(id, "still.alive");  // ...but it showed activity since
    const Recorded before = record(id);
    EXPECT_FALSE(tracker->mark_stalled(id, {ActivityBasis::Activity, scan_cutoff}));
    EXPECT_EQ(record(id), before);
    EXPECT_TRUE(tracker->mark_stalled(
        id, {ActivityBasis::Activity, clock->now() + std::chrono::seconds(1)}));
    EXPECT_EQ(tracker->get_snapshot(id)->status, S::Stalled);
  }
}

TEST_P(StoreConformance, ConditionalMarkStalledOnProgressIgnoresHeartbeats) {
  const OperationId id = start_in(S::Running);
  clock->advance(std::chrono::minutes(10));
  tracker->heartbeat(id);  // alive, but no progress since start
  EXPECT_FALSE(tracker->mark_stalled(id, {ActivityBasis::Activity, clock->now()}));
  EXPECT_TRUE(tracker->mark_stalled(id, {ActivityBasis::Progress, clock->now()}));
}

TEST_P(StoreConformance, RequestCancelSetsFlagInOpenStatesAndWorkerSeesIt) {
  for (S from : kOpen) {
    SCOPED_TRACE(std::string(to_string(from)));
    const OperationId id = start_in(from);
    const Recorded before = record(id);
    clock->advance(std::chrono::seconds(2));
    const OperationSnapshot after = tracker->request_cancel(id, "user asked");
    EXPECT_EQ(after.status, from);
    EXPECT_TRUE(after.cancel_requested());
    EXPECT_EQ(after.cancel_requested_at, clock->now());
    EXPECT_EQ(after.cancel_reason, "user asked");
    EXPECT_EQ(after.version, before.snapshot->version + 1);
    const auto events = tracker->events(id);
    ASSERT_EQ(events.size(), before.events.size() + 1);
    EXPECT_EQ(events.back().kind, "cancel_requested");
    EXPECT_EQ(events.back().message, "user asked");
    // The worker learns of it from its next progress or heartbeat...
    EXPECT_TRUE(tracker->update_progress(id, {.percent = 50.0}).cancel_requested());
    EXPECT_TRUE(tracker->heartbeat(id).cancel_requested());
    // ...and acknowledges by completing as Canceled.
    EXPECT_EQ(tracker->complete(id, S::Canceled).status, S::Canceled);
  }
}

TEST_P(StoreConformance, RequestCancelTwiceKeepsTheFirstRequest) {
  const OperationId id = start_in(S::Running);
  const Timestamp first = clock->now();
  tracker->request_cancel(id, "first");
  clock->advance(std::chrono::seconds(10));
  const OperationSnapshot again = tracker->request_cancel(id, "second");
  EXPECT_EQ(again.cancel_requested_at, first);
  EXPECT_EQ(again.cancel_reason, "first");
}

TEST_P(StoreConformance, RequestCancelOnTerminalIsNoOp) {
  for (S terminal : kTerminal) {
    SCOPED_TRACE(std::string(to_string(terminal)));
    const OperationId id = start_in(terminal);
    const Recorded before = record(id);
    EXPECT_EQ(tracker->request_cancel(id, "too late"), *before.snapshot);
    EXPECT_EQ(record(id), before);
  }
}

TEST_P(StoreConformance, CallsOnUnknownIdAreNotFoundAndWriteNothing) {
  const OperationId id = OperationId::parse("never-started");
  EXPECT_THROW(tracker->update_progress(id, {}), NotFoundError);
  EXPECT_THROW(tracker->heartbeat(id), NotFoundError);
  EXPECT_THROW(tracker->add_event(id, "x"), NotFoundError);
  EXPECT_THROW(tracker->complete(id, S::Succeeded), NotFoundError);
  EXPECT_THROW(tracker->mark_stalled(id), NotFoundError);
  EXPECT_THROW(tracker->request_cancel(id), NotFoundError);
  EXPECT_FALSE(tracker->get_snapshot(id).has_value());
  EXPECT_TRUE(tracker->events(id).empty());
}

}  // namespace
}  // namespace incursa::platform::testing
