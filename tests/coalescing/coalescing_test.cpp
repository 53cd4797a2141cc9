// CoalescingTracker against real stores (the memory store and a SQLite file).
//
// Store writes are counted through the stored operation's version (+1 per write).
// Time is a ManualClock; the flusher is driven synchronously with flush_due() or,
// for the background thread, sync_flusher(). Nothing sleeps.
#include "incursa/platform/operations/coalescing_tracker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "incursa/platform/error.hpp"
#include "incursa/platform/stores/memory_store.hpp"
#ifdef INCURSA_COALESCING_ON_POSTGRES
#include "pg_test_support.hpp"  // built again in tests/postgres, against the test server
#else
#include "sqlite_test_support.hpp"
#endif

namespace incursa::platform::testing {
namespace {

using std::chrono::milliseconds;

std::shared_ptr<OperationStore> make_store(const std::string& kind) {
#ifdef INCURSA_COALESCING_ON_POSTGRES
  if (kind == "postgres") return open_fresh_store({}, "coalesce");
#else
  if (kind == "sqlite") return open_temp_store();
#endif
  return make_memory_store();
}

ProgressUpdate percent(double value) {
  ProgressUpdate update;
  update.percent = value;
  return update;
}

class Coalescing : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
#ifdef INCURSA_COALESCING_ON_POSTGRES
    INCURSA_REQUIRE_PG_SERVER();
#endif
    store_ = make_store(GetParam());
    TrackerOptions options;
    options.clock = clock_;
    inner_ = std::make_shared<Tracker>(store_, options);
  }

  // No background flusher unless asked: the test decides when windows close.
  std::unique_ptr<CoalescingTracker> make(CoalescingOptions options = {}) {
    options.clock = clock_;
    return std::make_unique<CoalescingTracker>(inner_, std::move(options));
  }
  static CoalescingOptions manual() {
    CoalescingOptions options;
    options.background_flusher = false;
    return options;
  }

  OperationSnapshot stored(const OperationId& id) {
    auto snapshot = store_->get(id);
    EXPECT_TRUE(snapshot.has_value());
    return snapshot.value_or(OperationSnapshot{});
  }
  std::vector<OperationEvent> stored_events(const OperationId& id) {
    return store_->events(id, 0, 10000);
  }

  // Started and moved to Running (two writes: version 2), at the clock's time.
  OperationSnapshot running(CoalescingTracker& tracker, const std::string& name = "Coalesce.Op") {
    const auto started = tracker.start(name);
    const auto snapshot = tracker.update_progress(started.id, percent(1));
    EXPECT_EQ(snapshot.status, OperationStatus::Running);
    EXPECT_EQ(stored(started.id).version, 2);
    return snapshot;
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::shared_ptr<OperationStore> store_;
  std::shared_ptr<Tracker> inner_;
};

TEST_P(Coalescing, UpdatesWithinAWindowMakeOneWriteAndTheFinalValuesWin) {
  auto tracker = make(manual());
  const auto first = running(*tracker);
  const OperationId id = first.id;

  for (int i = 2; i <= 11; ++i) {  // 10 updates, 20 ms apart: all inside the 250 ms window
    clock_->advance(milliseconds(20));
    ProgressUpdate update = percent(i);
    if (i == 5) update.message = "five";
    if (i == 7) update.progress = StructuredProgress{7, 10, "steps"};
    const auto returned = tracker->update_progress(id, update);
    EXPECT_EQ(returned.percent, i);
    EXPECT_EQ(returned.version, 2);  // the last stored version: nothing written yet
    EXPECT_EQ(returned.last_progress_at, truncate_to_micros(clock_->now()));
    EXPECT_EQ(stored(id).version, 2);
    EXPECT_EQ(stored(id).percent, 1);
  }
  EXPECT_EQ(tracker->stats().deferred, 10U);
  EXPECT_EQ(tracker->stats().pending, 1U);
  EXPECT_EQ(tracker->flush_due(), 0U);  // 200 ms: the window is still open

  clock_->advance(milliseconds(50));  // 250 ms after the last write: the window closes
  EXPECT_EQ(tracker->flush_due(), 1U);
  const auto after = stored(id);
  EXPECT_EQ(after.version, 3);  // exactly one write for the ten updates
  EXPECT_EQ(after.percent, 11);
  EXPECT_EQ(after.message, "five");
  EXPECT_EQ(after.progress, (StructuredProgress{7, 10, "steps"}));
  EXPECT_EQ(after.last_progress_at, truncate_to_micros(clock_->now()));
  EXPECT_EQ(stored_events(id).size(), 2U);  // Pending, Pending -> Running: no more
  EXPECT_EQ(tracker->stats().written, 1U);
  EXPECT_EQ(tracker->stats().pending, 0U);
  EXPECT_EQ(tracker->flush_due(), 0U);
}

TEST_P(Coalescing, AfterTheWindowTheNextUpdateIsWrittenAtOnce) {
  auto tracker = make(manual());
  const OperationId id = running(*tracker).id;

  clock_->advance(milliseconds(250));
  auto returned = tracker->update_progress(id, percent(20));
  EXPECT_EQ(returned.version, 3);
  EXPECT_EQ(stored(id).percent, 20);

  clock_->advance(milliseconds(10));  // a new window began with that write
  returned = tracker->update_progress(id, percent(30));
  EXPECT_EQ(returned.version, 3);
  EXPECT_EQ(stored(id).version, 3);

  // The window closes but nothing flushes (a late flusher): the next update
  // writes the pending values and its own in one write.
  clock_->advance(milliseconds(300));
  ProgressUpdate update;
  update.message = "late";
  returned = tracker->update_progress(id, update);
  EXPECT_EQ(returned.version, 4);
  EXPECT_EQ(stored(id).percent, 30);
  EXPECT_EQ(stored(id).message, "late");
  EXPECT_EQ(tracker->stats().pending, 0U);
  EXPECT_EQ(tracker->flush_due(), 0U);
}

TEST_P(Coalescing, ACompletionWritesPendingProgressFirst) {
  auto tracker = make(manual());
  const OperationId id = running(*tracker).id;
  clock_->advance(milliseconds(10));
  ProgressUpdate update = percent(50);
  update.message = "half";
  tracker->update_progress(id, update);
  EXPECT_EQ(stored(id).version, 2);

  const auto done = tracker->complete(id, OperationStatus::Succeeded, "done");
  // Progress (version 3) then the completion (version 4): progress written after
  // the completion would have been refused.
  EXPECT_EQ(done.version, 4);
  EXPECT_EQ(done.status, OperationStatus::Succeeded);
  EXPECT_EQ(done.percent, 50);
  EXPECT_EQ(done.message, "done");
  EXPECT_EQ(stored(id), done);
  const auto events = stored_events(id);
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events.back().message, "Running -> Succeeded");
  EXPECT_EQ(tracker->stats().pending, 0U);

  // Terminal: a later update is refused at once, not deferred.
  EXPECT_THROW(tracker->update_progress(id, percent(60)), InvalidTransitionError);
  EXPECT_EQ(stored(id).version, 4);
}

TEST_P(Coalescing, EventsAndCancelsAreNeverDelayed) {
  auto tracker = make(manual());
  const OperationId id = running(*tracker).id;
  clock_->advance(milliseconds(10));
  tracker->update_progress(id, percent(30));

  const auto event = tracker->add_event(id, "step", "one", R"({"n":1})");
  auto events = stored_events(id);
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events.back(), event);
  EXPECT_EQ(stored(id).version, 3);  // the pending progress rode in the event's write
  EXPECT_EQ(stored(id).percent, 30);
  EXPECT_EQ(tracker->stats().written, 1U);
  EXPECT_EQ(tracker->get_snapshot(id), stored(id));

  clock_->advance(milliseconds(10));
  tracker->update_progress(id, percent(40));  // deferred again
  EXPECT_EQ(stored(id).percent, 30);
  const auto canceled = tracker->request_cancel(id, "stop");
  EXPECT_TRUE(canceled.cancel_requested());
  EXPECT_EQ(stored(id).percent, 40);
  EXPECT_TRUE(stored(id).cancel_requested());
  events = stored_events(id);
  EXPECT_EQ(events.back().kind, "cancel_requested");

  // The cancel shows in snapshots returned by deferred updates.
  clock_->advance(milliseconds(10));
  EXPECT_TRUE(tracker->update_progress(id, percent(41)).cancel_requested());
}

TEST_P(Coalescing, AnEventTheProgressCannotRideWithIsStillAddedAndTheProgressDropped) {
  auto tracker = make(manual());
  const OperationId id = running(*tracker).id;
  clock_->advance(milliseconds(10));
  tracker->update_progress(id, percent(30));         // deferred
  inner_->complete(id, OperationStatus::Succeeded);  // elsewhere, meanwhile

  // Late evidence on a finished operation is accepted; its progress is not.
  const auto event = tracker->add_event(id, "late", "after the end");
  EXPECT_EQ(stored_events(id).back(), event);
  EXPECT_EQ(stored(id).percent, 1);
  EXPECT_EQ(tracker->stats().dropped, 1U);
}

TEST_P(Coalescing, ABadEventDoesNotCostThePendingProgress) {
  auto tracker = make(manual());
  const OperationId id = running(*tracker).id;
  clock_->advance(milliseconds(10));
  tracker->update_progress(id, percent(30));  // deferred
  EXPECT_THROW(tracker->add_event(id, std::string(1000, 'k')), ValidationError);
  EXPECT_EQ(stored(id).percent, 30);
  EXPECT_EQ(stored(id).version, 3);
  EXPECT_EQ(tracker->stats().dropped, 0U);
}

TEST_P(Coalescing, ProgressWithAnEventIsNeverDeferredAndCarriesThePending) {
  auto tracker = make(manual());
  const OperationId id = running(*tracker).id;
  clock_->advance(milliseconds(10));
  ProgressUpdate note;
  note.message = "pending note";
  tracker->update_progress(id, note);  // deferred
  const auto written = tracker->update_progress_with_event(id, percent(70), "checkpoint");
  EXPECT_EQ(written.snapshot.percent, 70);
  EXPECT_EQ(written.snapshot.message, "pending note");
  EXPECT_EQ(stored(id), written.snapshot);
  EXPECT_EQ(stored(id).version, 3);
  EXPECT_EQ(stored_events(id).back(), written.event);
  EXPECT_EQ(tracker->stats().pending, 0U);
}

TEST_P(Coalescing, StartsAndStatusChangesAreNeverDelayed) {
  auto tracker = make(manual());
  const auto started = tracker->start("Coalesce.Op");
  EXPECT_EQ(stored(started.id), started);

  // Pending -> Running changes the status: written at once.
  EXPECT_EQ(tracker->update_progress(started.id, percent(5)).version, 2);
  EXPECT_EQ(stored(started.id).status, OperationStatus::Running);

  clock_->advance(milliseconds(1));
  EXPECT_TRUE(tracker->mark_stalled(started.id));
  EXPECT_EQ(stored(started.id).status, OperationStatus::Stalled);

  // Stalled -> Running, inside the window: still written at once.
  clock_->advance(milliseconds(1));
  const auto resumed = tracker->update_progress(started.id, percent(6));
  EXPECT_EQ(resumed.status, OperationStatus::Running);
  EXPECT_EQ(stored(started.id), resumed);

  // The same for a heartbeat.
  clock_->advance(milliseconds(1));
  EXPECT_TRUE(tracker->mark_stalled(started.id));
  clock_->advance(milliseconds(1));
  const auto alive = tracker->heartbeat(started.id);
  EXPECT_EQ(alive.status, OperationStatus::Running);
  EXPECT_EQ(stored(started.id), alive);
  EXPECT_EQ(tracker->stats().deferred, 0U);
}

TEST_P(Coalescing, HeartbeatsCoalesceWithoutMovingLastProgress) {
  auto tracker = make(manual());
  const auto first = running(*tracker);
  const OperationId id = first.id;

  clock_->advance(milliseconds(10));
  const auto beat = tracker->heartbeat(id);
  EXPECT_EQ(beat.updated_at, truncate_to_micros(clock_->now()));
  EXPECT_EQ(beat.last_progress_at, first.last_progress_at);
  EXPECT_EQ(stored(id).version, 2);

  clock_->advance(milliseconds(240));
  EXPECT_EQ(tracker->flush_due(), 1U);
  auto after = stored(id);
  EXPECT_EQ(after.version, 3);
  EXPECT_EQ(after.updated_at, truncate_to_micros(clock_->now()));
  EXPECT_EQ(after.last_progress_at, first.last_progress_at);

  // A heartbeat and a progress update in one window: one progress write.
  clock_->advance(milliseconds(10));
  tracker->heartbeat(id);
  clock_->advance(milliseconds(10));
  tracker->update_progress(id, percent(70));
  clock_->advance(milliseconds(230));
  EXPECT_EQ(tracker->flush_due(), 1U);
  after = stored(id);
  EXPECT_EQ(after.version, 4);
  EXPECT_EQ(after.percent, 70);
  EXPECT_EQ(after.last_progress_at, truncate_to_micros(clock_->now()));
}

TEST_P(Coalescing, GetSnapshotShowsPendingProgress) {
  auto tracker = make(manual());
  const OperationId id = running(*tracker).id;
  clock_->advance(milliseconds(10));
  ProgressUpdate update = percent(60);
  update.progress = StructuredProgress{6, 10, "files"};
  tracker->update_progress(id, update);

  const auto seen = tracker->get_snapshot(id);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->percent, 60);
  EXPECT_EQ(seen->progress, update.progress);
  EXPECT_EQ(seen->last_progress_at, truncate_to_micros(clock_->now()));
  EXPECT_EQ(seen->version, 2);
  EXPECT_EQ(stored(id).percent, 1);  // the read wrote nothing
  EXPECT_EQ(inner_->get_snapshot(id)->percent, 1);
}

TEST_P(Coalescing, BadInputFailsAtOnceEvenWhenTheUpdateWouldBeDeferred) {
  auto tracker = make(manual());
  const OperationId id = running(*tracker).id;
  clock_->advance(milliseconds(10));
  try {
    tracker->update_progress(id, percent(150));
    FAIL() << "expected a ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "percent");
  }
  ProgressUpdate negative;
  negative.progress = StructuredProgress{-1, std::nullopt, ""};
  try {
    tracker->update_progress(id, negative);
    FAIL() << "expected a ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "progress.current");
  }
  try {
    tracker->heartbeat(OperationId{});
    FAIL() << "expected a ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "operation_id");
  }
  EXPECT_THROW(tracker->update_progress(OperationId::generate(), percent(1)), NotFoundError);
  EXPECT_EQ(tracker->stats().deferred, 0U);
  EXPECT_EQ(stored(id).version, 2);
}

TEST_P(Coalescing, AFailedDeferredWriteIsDroppedAndNeverThrownAtOtherCallers) {
  std::mutex mutex;
  std::vector<OperationId> dropped;
  CoalescingOptions options = manual();
  options.on_dropped = [&](const OperationId& id, const std::exception_ptr& error) {
    std::lock_guard<std::mutex> lock(mutex);
    dropped.push_back(id);
    EXPECT_THROW(std::rethrow_exception(error), InvalidTransitionError);
  };
  auto tracker = make(options);
  const OperationId a = running(*tracker, "Coalesce.A").id;
  const OperationId b = running(*tracker, "Coalesce.B").id;
  clock_->advance(milliseconds(10));
  tracker->update_progress(a, percent(20));
  tracker->update_progress(b, percent(20));

  // Someone else completes A behind the decorator's back.
  inner_->complete(a, OperationStatus::Failed, "elsewhere");

  clock_->advance(milliseconds(300));
  EXPECT_NO_THROW(EXPECT_EQ(tracker->flush_due(), 2U));
  EXPECT_EQ(tracker->stats().dropped, 1U);
  EXPECT_EQ(tracker->stats().written, 1U);
  EXPECT_FALSE(tracker->stats().last_drop_error.empty());
  ASSERT_EQ(dropped.size(), 1U);
  EXPECT_EQ(dropped.front(), a);
  EXPECT_EQ(stored(b).percent, 20);
  EXPECT_EQ(stored(a).status, OperationStatus::Failed);
  EXPECT_EQ(stored(a).percent, 1);

  // A's next update goes to the store and reports its own error.
  EXPECT_THROW(tracker->update_progress(a, percent(30)), InvalidTransitionError);
}

TEST_P(Coalescing, FlushAndTheDestructorWriteEverythingPending) {
  OperationId id;
  {
    auto tracker = make(manual());
    id = running(*tracker).id;
    clock_->advance(milliseconds(10));
    tracker->update_progress(id, percent(80));
    tracker->flush();  // not due yet: written anyway
    EXPECT_EQ(stored(id).percent, 80);
    EXPECT_EQ(stored(id).version, 3);
    clock_->advance(milliseconds(10));
    tracker->update_progress(id, percent(90));
    EXPECT_EQ(stored(id).percent, 80);
  }
  EXPECT_EQ(stored(id).percent, 90);
  EXPECT_EQ(stored(id).version, 4);
}

TEST_P(Coalescing, TheBackgroundFlusherWritesWhenTheWindowCloses) {
  std::mutex mutex;
  std::vector<Timestamp> passes;
  CoalescingOptions options;  // background flusher on
  options.on_flushed = [&](Timestamp at) {
    std::lock_guard<std::mutex> lock(mutex);
    passes.push_back(at);
  };
  auto tracker = make(options);
  const OperationId id = running(*tracker).id;
  const Timestamp due = clock_->now() + milliseconds(250);
  clock_->advance(milliseconds(10));
  tracker->update_progress(id, percent(25));

  tracker->sync_flusher();  // a pass at +10 ms: nothing is due
  EXPECT_EQ(stored(id).version, 2);

  clock_->advance(milliseconds(240));
  tracker->sync_flusher();
  EXPECT_EQ(stored(id).version, 3);
  EXPECT_EQ(stored(id).percent, 25);
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_FALSE(passes.empty());
  EXPECT_GE(passes.back(), due);
}

TEST_P(Coalescing, AZeroWindowWritesEveryCall) {
  CoalescingOptions options = manual();
  options.window = std::chrono::system_clock::duration::zero();
  auto tracker = make(options);
  const OperationId id = running(*tracker).id;
  EXPECT_EQ(tracker->update_progress(id, percent(2)).version, 3);
  EXPECT_EQ(tracker->heartbeat(id).version, 4);
  EXPECT_EQ(tracker->stats().deferred, 0U);

  options.window = -milliseconds(1);
  try {
    make(options);
    FAIL() << "expected a ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "window");
  }
}

TEST_P(Coalescing, TheFactoryWrapsATrackerOverAStoreOnOneClock) {
  CoalescingOptions options = manual();
  options.clock = clock_;
  auto tracker = CoalescingTracker::over(store_, options);
  const auto first = running(*tracker);
  EXPECT_EQ(first.started_at, truncate_to_micros(clock_->now()));  // the tracker's clock
  clock_->advance(milliseconds(10));
  tracker->update_progress(first.id, percent(33));
  EXPECT_EQ(stored(first.id).version, 2);
  clock_->advance(milliseconds(240));
  EXPECT_EQ(tracker->flush_due(), 1U);  // the decorator's clock
  EXPECT_EQ(stored(first.id).percent, 33);
  EXPECT_THROW(CoalescingTracker::over(nullptr), std::invalid_argument);
}

// Several threads on shared and separate operations, with the background
// flusher running on the system clock. Runs under TSan (label concurrency).
TEST_P(Coalescing, CoalescingConcurrencyManyThreadsOnSharedAndOwnOperations) {
  constexpr int kThreads = 4;
  constexpr int kIterations = 300;
  CoalescingOptions options;
  options.window = milliseconds(20);
  options.clock = SystemClock::instance();
  auto tracker =
      std::make_unique<CoalescingTracker>(std::make_shared<Tracker>(store_), std::move(options));
  const OperationId shared[2] = {tracker->start("Coalesce.Shared").id,
                                 tracker->start("Coalesce.Shared").id};
  std::vector<OperationId> own;
  for (int t = 0; t < kThreads; ++t) own.push_back(tracker->start("Coalesce.Own").id);

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kIterations; ++i) {
          ProgressUpdate mine;
          mine.progress = StructuredProgress{i, kIterations, "steps"};
          tracker->update_progress(own[static_cast<std::size_t>(t)], mine);
          ProgressUpdate theirs;
          theirs.progress = StructuredProgress{t * 100000 + i, std::nullopt, ""};
          tracker->update_progress(shared[i % 2], theirs);
          if (i % 50 == 0) {
            tracker->add_event(own[static_cast<std::size_t>(t)], "step");
            tracker->add_event(shared[0], "step");
            tracker->add_event(shared[1], "step");
          }
          if (i % 7 == 0) tracker->heartbeat(shared[(i + 1) % 2]);
          if (i % 11 == 0) {
            const auto seen = tracker->get_snapshot(own[static_cast<std::size_t>(t)]);
            if (!seen || !seen->progress || seen->progress->current != i) ++failures;
          }
        }
        tracker->complete(own[static_cast<std::size_t>(t)], OperationStatus::Succeeded);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  tracker->flush();
  EXPECT_EQ(tracker->stats().dropped, 0U);
  EXPECT_EQ(tracker->stats().pending, 0U);

  const std::size_t events_per_thread = (kIterations + 49) / 50;
  for (int t = 0; t < kThreads; ++t) {
    const auto s = stored(own[static_cast<std::size_t>(t)]);
    EXPECT_EQ(s.status, OperationStatus::Succeeded);
    ASSERT_TRUE(s.progress.has_value());
    EXPECT_EQ(s.progress->current, kIterations - 1);  // written before the completion
    EXPECT_EQ(stored_events(s.id).size(), 3 + events_per_thread);
  }
  for (int k = 0; k < 2; ++k) {
    const auto s = stored(shared[k]);
    ASSERT_TRUE(s.progress.has_value());
    // The last update some thread made to it.
    std::set<std::int64_t> lasts;
    for (int t = 0; t < kThreads; ++t) lasts.insert(t * 100000 + kIterations - 2 + k);
    EXPECT_TRUE(lasts.count(s.progress->current)) << s.progress->current;
    EXPECT_EQ(stored_events(s.id).size(), 2 + kThreads * events_per_thread);
  }
}

#ifdef INCURSA_COALESCING_ON_POSTGRES
INSTANTIATE_TEST_SUITE_P(Stores, Coalescing, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });
#else
INSTANTIATE_TEST_SUITE_P(Stores, Coalescing, ::testing::Values("memory", "sqlite"),
                         [](const auto& info) { return info.param; });
#endif

}  // namespace
}  // namespace incursa::platform::testing
