// ObservedTracker: a decorator that emits audit events and counts metrics for
// every call it forwards to another tracker.
//
//   Tracker tracker(store);
//   AuditLog audit(audit_store(store));
//   PlatformEventEmitter emitter(audit);
//   OperationMetrics metrics;
//   ObservedTracker observed(tracker, tracker, &emitter, &metrics);
//   observed.start("Invoice.Generate");   // operation + operation.started + started_total
//
// The operation is written first, then its audit event. If the audit write
// fails, the call throws; repeating it is safe, since lifecycle audit events
// are written once per fact (see PlatformEventEmitter), and metrics count a
// start or completion only when its audit event was new (or when there is no emitter).
//
// Thread safety: as safe as what it wraps. Ownership: holds references; the
// tracker, watcher, emitter and metrics must outlive it. emitter and metrics may be null.
#pragma once

#include "incursa/platform/observability/operation_metrics.hpp"
#include "incursa/platform/observability/platform_event_emitter.hpp"
#include "incursa/platform/operations/forwarding_tracker.hpp"

namespace incursa::platform {

class ObservedTracker final : public ForwardingTracker {
 public:
  ObservedTracker(OperationTracker& tracker, OperationWatcher& watcher,
                  PlatformEventEmitter* emitter, OperationMetrics* metrics)
      : ForwardingTracker(tracker, watcher), emitter_(emitter), metrics_(metrics) {}

  OperationSnapshot start(std::string_view name, const StartOptions& options = {}) override;
  OperationSnapshot update_progress(const OperationId& id, const ProgressUpdate& update) override;
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
  void stalled(const OperationId& id);

  PlatformEventEmitter* emitter_;
  OperationMetrics* metrics_;
};

}  // namespace incursa::platform
