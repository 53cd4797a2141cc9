// ForwardingTracker: a decorator that overrides one call still reaches the
// wrapped tracker and watcher through every other call.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/forwarding_tracker.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/stores/memory_store.hpp"

namespace incursa::platform {
namespace {

class CountingTracker final : public ForwardingTracker {
 public:
  using ForwardingTracker::ForwardingTracker;
  OperationSnapshot start(std::string_view name, const StartOptions& options = {}) override {
    ++starts;
    return ForwardingTracker::start(name, options);
  }
  std::atomic<int> starts{0};
};

TEST(ForwardingTracker, EveryCallReachesTheWrappedTrackerAndWatcher) {
  auto clock = std::make_shared<ManualClock>();
  Tracker inner(make_memory_store(), TrackerOptions{.clock = clock});
  CountingTracker tracker(inner, inner);

  const OperationSnapshot parent = tracker.start("Parent.Op");
  const OperationSnapshot child = tracker.start("Child.Op", StartOptions{.parent_id = parent.id});
  EXPECT_EQ(tracker.starts.load(), 2);

  clock->advance(std::chrono::seconds(1));
  EXPECT_EQ(tracker.update_progress(parent.id, ProgressUpdate{.percent = 40}).percent, 40.0);
  clock->advance(std::chrono::seconds(1));
  const OperationSnapshot beat = tracker.heartbeat(parent.id);
  EXPECT_EQ(beat.updated_at, clock->now());
  // Reaches Tracker's own one-write version, not the interface's two calls.
  const auto both = tracker.update_progress_with_event(parent.id, {.percent = 40}, "checkpoint");
  EXPECT_EQ(both.snapshot.version, beat.version + 1);
  EXPECT_EQ(both.event.kind, "checkpoint");
  EXPECT_EQ(tracker.add_event(parent.id, "note", "hello").kind, "note");
  EXPECT_EQ(tracker.request_cancel(parent.id, "no longer needed").cancel_reason,
            "no longer needed");
  EXPECT_EQ(tracker.complete(child.id, OperationStatus::Succeeded).status,
            OperationStatus::Succeeded);

  // Reads see the writes, through the decorator and directly.
  EXPECT_EQ(tracker.get_snapshot(parent.id)->percent, 40.0);
  const auto events = tracker.events(parent.id);
  ASSERT_GE(events.size(), 2U);
  EXPECT_EQ(events[events.size() - 2].kind, "note");
  EXPECT_EQ(events.back().kind, "cancel_requested");
  EXPECT_EQ(tracker.list(OperationQuery{}).operations.size(), 2U);
  EXPECT_EQ(tracker.count_by_status()[OperationStatus::Running], 1);
  EXPECT_EQ(tracker.children(parent.id).operations.size(), 1U);
  EXPECT_FALSE(tracker.timeline(parent.id).entries.empty());

  // The watcher calls too: an hour later the parent is stalled, and marked once.
  clock->advance(std::chrono::hours(1));
  const auto stalled = tracker.find_stalled(StallQuery{.threshold = std::chrono::minutes(5)});
  ASSERT_EQ(stalled.size(), 1U);
  EXPECT_EQ(stalled[0].id, parent.id);
  EXPECT_TRUE(tracker.mark_stalled(parent.id));
  EXPECT_FALSE(tracker.mark_stalled(parent.id));
  EXPECT_EQ(inner.get_snapshot(parent.id)->status, OperationStatus::Stalled);
  EXPECT_EQ(tracker.starts.load(), 2);
}

}  // namespace
}  // namespace incursa::platform
