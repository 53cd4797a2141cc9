// PlatformEventEmitter: records an operation and its audit event together (contract §6).
//
//   start    -> operation.started            outcome Info
//   complete -> operation.completed / .failed outcome Success (Succeeded), Failure (Failed),
//                                              Warning (Canceled)
//   stalled  -> operation.stalled            outcome Warning
//   cancel   -> operation.cancel_requested   outcome Warning
//
// Each audit event is anchored Operation/<id>/Subject and carries data
// {"status":…,"message":…,"tags":{…,"operationId":<id>}}. Its correlation is the
// operation's own, else the ambient CorrelationScope's.
//
// Lifecycle audit events have ids derived from the operation (and, for stalls,
// the stall count), so emitting the same fact twice -- a retried complete, two
// processes noticing one stall -- writes one audit event: the repeat returns nullopt.
//
// Thread safety: as safe as the writer it wraps (AuditLog is). The writer must
// outlive the emitter.
#pragma once

#include <optional>
#include <string_view>

#include "incursa/platform/audit/audit_log.hpp"
#include "incursa/platform/operations/operation_tracker.hpp"

namespace incursa::platform {

class PlatformEventEmitter {
 public:
  explicit PlatformEventEmitter(AuditEventWriter& writer) : writer_(writer) {}

  // Starts the operation, then writes operation.started.
  OperationSnapshot start_operation(OperationTracker& tracker, std::string_view name,
                                    const StartOptions& options = {});
  // Completes the operation, then writes operation.completed or operation.failed.
  OperationSnapshot complete_operation(OperationTracker& tracker, const OperationId& id,
                                       OperationStatus status,
                                       std::optional<std::string_view> message = std::nullopt);

  // The audit event alone, for a snapshot already written. nullopt when this
  // fact was already emitted.
  std::optional<AuditEvent> emit_started(const OperationSnapshot& operation);
  std::optional<AuditEvent> emit_completed(const OperationSnapshot& operation);
  std::optional<AuditEvent> emit_stalled(const OperationSnapshot& operation);
  AuditEvent emit_cancel_requested(const OperationSnapshot& operation);

  // The audit outcome for an operation status: Succeeded->Success, Failed->Failure,
  // Canceled and Stalled->Warning, otherwise Info.
  static EventOutcome outcome_for(OperationStatus status) noexcept;

 private:
  std::optional<AuditEvent> write_once(AuditEvent event);
  AuditEvent event_for(const OperationSnapshot& op, std::string_view name, EventOutcome outcome,
                       bool with_status) const;

  AuditEventWriter& writer_;
};

}  // namespace incursa::platform
