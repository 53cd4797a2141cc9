// ForwardingTracker: the base of tracker decorators. Every OperationTracker and
// OperationWatcher call goes unchanged to the tracker and watcher it wraps, so a
// decorator overrides only the calls it adds something to -- ObservedTracker
// (audit events and metrics) and opsd's FeedTracker (live updates) are built on
// it.
//
//   class CountingTracker final : public ForwardingTracker {
//    public:
//     using ForwardingTracker::ForwardingTracker;
//     OperationSnapshot start(std::string_view name, const StartOptions& o = {}) override {
//       ++starts;
//       return ForwardingTracker::start(name, o);
//     }
//     std::atomic<int> starts{0};
//   };
//
// Thread safety: as safe as what it wraps. Errors: whatever the wrapped calls
// throw. Ownership: holds references; the tracker and watcher (usually one
// object, such as a Tracker) must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "incursa/platform/operations/operation_tracker.hpp"

namespace incursa::platform {

class ForwardingTracker : public OperationTracker, public OperationWatcher {
 public:
  ForwardingTracker(OperationTracker& tracker, OperationWatcher& watcher)
      : tracker_(tracker), watcher_(watcher) {}

  OperationSnapshot start(std::string_view name, const StartOptions& options = {}) override {
    return tracker_.start(name, options);
  }
  OperationSnapshot update_progress(const OperationId& id, const ProgressUpdate& update) override {
    return tracker_.update_progress(id, update);
  }
  OperationSnapshot heartbeat(const OperationId& id) override { return tracker_.heartbeat(id); }
  OperationEvent add_event(const OperationId& id, std::string_view kind,
                           std::optional<std::string_view> message = std::nullopt,
                           std::optional<std::string_view> data_json = std::nullopt) override {
    return tracker_.add_event(id, kind, message, data_json);
  }
  ProgressWithEvent update_progress_with_event(
      const OperationId& id, const ProgressUpdate& update, std::string_view kind,
      std::optional<std::string_view> message = std::nullopt,
      std::optional<std::string_view> data_json = std::nullopt) override {
    return tracker_.update_progress_with_event(id, update, kind, message, data_json);
  }
  OperationSnapshot complete(const OperationId& id, OperationStatus status,
                             std::optional<std::string_view> message = std::nullopt) override {
    return tracker_.complete(id, status, message);
  }
  OperationSnapshot request_cancel(const OperationId& id,
                                   std::optional<std::string_view> reason = std::nullopt) override {
    return tracker_.request_cancel(id, reason);
  }
  std::optional<OperationSnapshot> get_snapshot(const OperationId& id) override {
    return tracker_.get_snapshot(id);
  }
  std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence = 0,
                                     std::size_t limit = 1000) override {
    return tracker_.events(id, after_sequence, limit);
  }
  OperationPage list(const OperationQuery& query) override { return tracker_.list(query); }
  StatusCounts count_by_status(const OperationFilter& filter = {},
                               std::optional<std::int64_t> at_most = std::nullopt) override {
    return tracker_.count_by_status(filter, at_most);
  }
  OperationPage children(const OperationId& id, std::size_t limit = 100,
                         std::optional<std::string> page_token = std::nullopt) override {
    return tracker_.children(id, limit, std::move(page_token));
  }
  Timeline timeline(const OperationId& id, const TimelineLimits& limits = {}) override {
    return tracker_.timeline(id, limits);
  }

  std::vector<OperationSnapshot> find_stalled(const StallQuery& query) override {
    return watcher_.find_stalled(query);
  }
  bool mark_stalled(const OperationId& id) override { return watcher_.mark_stalled(id); }
  bool mark_stalled(const OperationId& id, const StaleCondition& still_stale) override {
    return watcher_.mark_stalled(id, still_stale);
  }

 protected:
  OperationTracker& tracker() const noexcept { return tracker_; }
  OperationWatcher& watcher() const noexcept { return watcher_; }

 private:
  OperationTracker& tracker_;
  OperationWatcher& watcher_;
};

}  // namespace incursa::platform
