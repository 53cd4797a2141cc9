#include "incursa/platform/observability/observed_tracker.hpp"

namespace incursa::platform {

OperationSnapshot ObservedTracker::start(std::string_view name, const StartOptions& options) {
  OperationSnapshot op = tracker().start(name, options);
  const bool first_time = emitter_ ? emitter_->emit_started(op).has_value() : true;
  if (metrics_ && first_time) metrics_->operation_started();
  return op;
}

OperationSnapshot ObservedTracker::update_progress(const OperationId& id,
                                                   const ProgressUpdate& update) {
  OperationSnapshot op = tracker().update_progress(id, update);
  if (metrics_) metrics_->progress_updated();
  return op;
}

OperationEvent ObservedTracker::add_event(const OperationId& id, std::string_view kind,
                                          std::optional<std::string_view> message,
                                          std::optional<std::string_view> data_json) {
  OperationEvent event = tracker().add_event(id, kind, message, data_json);
  if (metrics_) metrics_->event_added(event.kind);
  return event;
}

ProgressWithEvent ObservedTracker::update_progress_with_event(
    const OperationId& id, const ProgressUpdate& update, std::string_view kind,
    std::optional<std::string_view> message, std::optional<std::string_view> data_json) {
  ProgressWithEvent written =
      tracker().update_progress_with_event(id, update, kind, message, data_json);
  if (metrics_) {
    metrics_->progress_updated();
    metrics_->event_added(written.event.kind);
  }
  return written;
}

OperationSnapshot ObservedTracker::complete(const OperationId& id, OperationStatus status,
                                            std::optional<std::string_view> message) {
  OperationSnapshot op = tracker().complete(id, status, message);
  const bool first_time = emitter_ ? emitter_->emit_completed(op).has_value() : true;
  if (metrics_ && first_time) {
    metrics_->operation_completed(op.status,
                                  op.completed_at.value_or(op.updated_at) - op.started_at);
  }
  return op;
}

OperationSnapshot ObservedTracker::request_cancel(const OperationId& id,
                                                  std::optional<std::string_view> reason) {
  OperationSnapshot op = tracker().request_cancel(id, reason);
  if (emitter_ && !op.terminal()) emitter_->emit_cancel_requested(op);
  return op;
}

void ObservedTracker::stalled(const OperationId& id) {
  if (metrics_) metrics_->operation_stalled();
  if (emitter_) {
    if (const auto op = tracker().get_snapshot(id)) emitter_->emit_stalled(*op);
  }
}

bool ObservedTracker::mark_stalled(const OperationId& id) {
  const bool marked = watcher().mark_stalled(id);
  if (marked) stalled(id);
  return marked;
}

bool ObservedTracker::mark_stalled(const OperationId& id, const StaleCondition& still_stale) {
  const bool marked = watcher().mark_stalled(id, still_stale);
  if (marked) stalled(id);
  return marked;
}

}  // namespace incursa::platform
