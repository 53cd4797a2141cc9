#include "feed_tracker.hpp"

#include <exception>

namespace incursa::platform::opsd {

void FeedTracker::publish_current(const char* kind, const OperationId& id,
                                  std::optional<OperationEvent> event) {
  // The write already succeeded; a failed read here must not turn it into an
  // error for the caller. The poller will publish the change instead.
  try {
    if (auto op = tracker().get_snapshot(id)) feed_.publish(kind, *op, std::move(event));
  } catch (const std::exception&) {
  }
}

OperationSnapshot FeedTracker::start(std::string_view name, const StartOptions& options) {
  OperationSnapshot op = tracker().start(name, options);
  feed_.publish("started", op);
  return op;
}

OperationSnapshot FeedTracker::update_progress(const OperationId& id,
                                               const ProgressUpdate& update) {
  OperationSnapshot op = tracker().update_progress(id, update);
  feed_.publish("progress", op);
  return op;
}

OperationSnapshot FeedTracker::heartbeat(const OperationId& id) {
  OperationSnapshot op = tracker().heartbeat(id);
  feed_.publish("heartbeat", op);
  return op;
}

OperationEvent FeedTracker::add_event(const OperationId& id, std::string_view kind,
                                      std::optional<std::string_view> message,
                                      std::optional<std::string_view> data_json) {
  OperationEvent event = tracker().add_event(id, kind, message, data_json);
  publish_current("event", id, event);
  return event;
}

ProgressWithEvent FeedTracker::update_progress_with_event(
    const OperationId& id, const ProgressUpdate& update, std::string_view kind,
    std::optional<std::string_view> message, std::optional<std::string_view> data_json) {
  ProgressWithEvent written =
      tracker().update_progress_with_event(id, update, kind, message, data_json);
  feed_.publish("event", written.snapshot, written.event);
  return written;
}

OperationSnapshot FeedTracker::complete(const OperationId& id, OperationStatus status,
                                        std::optional<std::string_view> message) {
  OperationSnapshot op = tracker().complete(id, status, message);
  feed_.publish("completed", op);
  return op;
}

OperationSnapshot FeedTracker::request_cancel(const OperationId& id,
                                              std::optional<std::string_view> reason) {
  OperationSnapshot op = tracker().request_cancel(id, reason);
  feed_.publish("cancel_requested", op);
  return op;
}

bool FeedTracker::mark_stalled(const OperationId& id) {
  const bool marked = watcher().mark_stalled(id);
  if (marked) publish_current("stalled", id);
  return marked;
}

bool FeedTracker::mark_stalled(const OperationId& id, const StaleCondition& still_stale) {
  const bool marked = watcher().mark_stalled(id, still_stale);
  if (marked) publish_current("stalled", id);
  return marked;
}

}  // namespace incursa::platform::opsd
