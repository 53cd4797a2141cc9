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
#include "incursa/platform/operations/operation_tracker.hpp"

namespace incursa::platform::opsd {

class FeedTracker final : public OperationTracker, public OperationWatcher {
 public:
  FeedTracker(OperationTracker& tracker, OperationWatcher& watcher, ChangeFeed& feed)
      : tracker_(tracker), watcher_(watcher), feed_(feed) {}

  OperationSnapshot start(std::string_view name, const StartOptions& options = {}) override;
  OperationSnapshot update_progress(const OperationId& id, const ProgressUpdate& update) override;
  OperationSnapshot heartbeat(const OperationId& id) override;
  OperationEvent add_event(const OperationId& id, std::string_view kind,
                           std::optional<std::string_view> message = std::nullopt,
                           std::optional<std::string_view> data_json = std::nullopt) override;
  OperationSnapshot complete(const OperationId& id, OperationStatus status,
                             std::optional<std::string_view> message = std::nullopt) override;
  OperationSnapshot request_cancel(const OperationId& id,
                                   std::optional<std::string_view> reason = std::nullopt) override;

  std::optional<OperationSnapshot> get_snapshot(const OperationId& id) override {
    return tracker_.get_snapshot(id);
  }
  std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence = 0,
                                     std::size_t limit = 1000) override {
    return tracker_.events(id, after_sequence, limit);
  }
  OperationPage list(const OperationQuery& query) override { return tracker_.list(query); }
  StatusCounts count_by_status(const OperationFilter& filter = {}) override {
    return tracker_.count_by_status(filter);
  }
  OperationPage children(const OperationId& id, std::size_t limit = 100,
                         std::optional<std::string> page_token = std::nullopt) override {
    return tracker_.children(id, limit, std::move(page_token));
  }
  Timeline timeline(const OperationId& id) override { return tracker_.timeline(id); }

  std::vector<OperationSnapshot> find_stalled(const StallQuery& query) override {
    return watcher_.find_stalled(query);
  }
  bool mark_stalled(const OperationId& id) override;
  bool mark_stalled(const OperationId& id, const StaleCondition& still_stale) override;

 private:
  void publish_current(const char* kind, const OperationId& id,
                       std::optional<OperationEvent> event = std::nullopt);

  OperationTracker& tracker_;
  OperationWatcher& watcher_;
  ChangeFeed& feed_;
};

}  // namespace incursa::platform::opsd
