// FeedTracker: a tracker decorator that publishes every successful write to the
// ChangeFeed, so SSE subscribers and :wait callers hear about it at once.
//
// It sits outermost: FeedTracker -> ObservedTracker (audit + metrics) -> Tracker
// -> store. A change is published after the wrapped call returned, so it is
// already durable and its audit event written. Writes made by other processes
// never pass through here; StorePoller finds those.
//
// Thread safety: as safe as what it wraps. Ownership: holds references; the
// tracker, watcher and feed must outlive it.
#pragma once

#include "change_feed.hpp"
#include "incursa/platform/operations/forwarding_tracker.hpp"

namespace incursa::platform::opsd {

class FeedTracker final : public ForwardingTracker {
 public:
  FeedTracker(OperationTracker& tracker, OperationWatcher& watcher, ChangeFeed& feed)
      : ForwardingTracker(tracker, watcher), feed_(feed) {}

  OperationSnapshot start(std::string_view name, const StartOptions& options = {}) override;
  OperationSnapshot update_progress(const OperationId& id, const ProgressUpdate& update) override;
  OperationSnapshot heartbeat(const OperationId& id) override;
  OperationEvent add_event(const OperationId& id, std::string_view kind,
                           std::optional<std::string_view> message = std::nullopt,
                           std::optional<std::string_view> data_json = std::nullopt) override;
  ProgressWithEvent update_progress_with_event(
      const OperationId& id, const ProgressUpdate& update, std::string_view kind,
      std::optional<std::string_view> message = std::nullopt,
      std::optional<std::string_view> data_json = std::nullopt) override;
  OperationSnapshot complete(const OperationId& id, OperationStatus status,
                             std::optional<std::string_view> message = std::nullopt) override;
  OperationSnapshot request_cancel(const OperationId& id,
                                   std::optional<std::string_view> reason = std::nullopt) override;
  bool mark_stalled(const OperationId& id) override;
  bool mark_stalled(const OperationId& id, const StaleCondition& still_stale) override;

 private:
  void publish_current(const char* kind, const OperationId& id,
                       std::optional<OperationEvent> event = std::nullopt);

  ChangeFeed& feed_;
};

}  // namespace incursa::platform::opsd
