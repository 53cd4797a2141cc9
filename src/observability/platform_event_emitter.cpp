#include "incursa/platform/observability/platform_event_emitter.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "incursa/platform/audit/audit_validator.hpp"
#include "incursa/platform/correlation/correlation_scope.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"
#include "incursa/platform/observability/platform_names.hpp"

namespace incursa::platform {

namespace {

// A stable 32-hex id for a fact ("operation X completed"), so repeats collide.
AuditEventId fact_id(std::string_view fact) {
  const auto fnv = [&](std::uint64_t hash) {
    for (unsigned char c : fact) {
      hash ^= c;
      hash *= 0x100000001b3ULL;
    }
    return hash;
  };
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  const std::uint64_t halves[2] = {fnv(0xcbf29ce484222325ULL), fnv(0x6c62272e07bb0142ULL)};
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 16; ++i) {
      out[static_cast<std::size_t>(h * 16 + i)] = kHex[(halves[h] >> (60 - 4 * i)) & 0xF];
    }
  }
  return AuditEventId::parse(out);
}

}  // namespace

EventOutcome PlatformEventEmitter::outcome_for(OperationStatus status) noexcept {
  switch (status) {
    case OperationStatus::Succeeded:
      return EventOutcome::Success;
    case OperationStatus::Failed:
      return EventOutcome::Failure;
    case OperationStatus::Canceled:
    case OperationStatus::Stalled:
      return EventOutcome::Warning;
    default:
      return EventOutcome::Info;
  }
}

namespace {

// A display message within the audit limit: an operation's own message and
// cancel reason may each use that whole limit, so the sentence around them is
// cut to fit, ending in "...".
std::string display_text(std::string_view text) {
  return detail::to_message_text(text, limits::kMaxMessageBytes);
}

}  // namespace

AuditEvent PlatformEventEmitter::event_for(const OperationSnapshot& op, std::string_view name,
                                           EventOutcome outcome, bool with_status) const {
  nlohmann::json tags(op.tags);
  tags[std::string(PlatformTagKeys::kOperationId)] = op.id.value();
  nlohmann::json data = {
      {"status", with_status ? nlohmann::json(to_string(op.status)) : nlohmann::json(nullptr)},
      {"message",
       with_status && op.message ? nlohmann::json(*op.message) : nlohmann::json(nullptr)},
      {"tags", tags}};
  // The operation was written; its audit event must not fail for what the
  // operation was allowed to hold. Tags that escape past the audit data limit
  // are left out of it (they are on the operation), and the count says so.
  if (data.dump().size() > AuditValidationOptions{}.max_data_json_length) {
    data["tags"] = {{std::string(PlatformTagKeys::kOperationId), op.id.value()}};
    data["tags_omitted"] = op.tags.size();
  }
  AuditEvent e;
  e.name = std::string(name);
  e.outcome = outcome;
  e.anchors = {{std::string(kOperationAnchorType), op.id.value(), std::string(kSubjectAnchorRole)}};
  e.data_json = data.dump();
  if (op.correlation) {
    e.correlation = op.correlation;
  } else if (const CorrelationContext* ambient = CorrelationScope::current()) {
    e.correlation = *ambient;
  }
  return e;
}

std::optional<AuditEvent> PlatformEventEmitter::write_once(AuditEvent event) {
  try {
    return writer_.write(std::move(event));
  } catch (const ConflictError&) {
    return std::nullopt;  // the same fact was recorded already
  }
}

std::optional<AuditEvent> PlatformEventEmitter::emit_started(const OperationSnapshot& op) {
  AuditEvent e = event_for(op, PlatformEventNames::kOperationStarted, EventOutcome::Info, false);
  e.id = fact_id(op.id.value() + "\n" + e.name);
  e.display_message = "Operation " + op.name + " started";
  e.occurred_at = op.started_at;
  return write_once(std::move(e));
}

std::optional<AuditEvent> PlatformEventEmitter::emit_completed(const OperationSnapshot& op) {
  if (!op.terminal()) {
    throw ValidationError("status", "operation " + op.id.value() + " is not terminal");
  }
  const bool failed = op.status == OperationStatus::Failed;
  AuditEvent e = event_for(
      op, failed ? PlatformEventNames::kOperationFailed : PlatformEventNames::kOperationCompleted,
      outcome_for(op.status), true);
  e.id = fact_id(op.id.value() + "\ncompleted");
  e.display_message = display_text(
      "Operation " + op.name + (failed ? " failed" : " completed as ") +
      (failed ? "" : std::string(to_string(op.status))) + (op.message ? ": " + *op.message : ""));
  e.occurred_at = op.completed_at.value_or(op.updated_at);
  return write_once(std::move(e));
}

std::optional<AuditEvent> PlatformEventEmitter::emit_stalled(const OperationSnapshot& op) {
  AuditEvent e = event_for(op, PlatformEventNames::kOperationStalled,
                           outcome_for(OperationStatus::Stalled), true);
  e.id = fact_id(op.id.value() + "\nstalled\n" + std::to_string(op.stall_count));
  e.display_message = "Operation " + op.name + " stalled";
  e.occurred_at = op.updated_at;
  return write_once(std::move(e));
}

AuditEvent PlatformEventEmitter::emit_cancel_requested(const OperationSnapshot& op) {
  AuditEvent e =
      event_for(op, PlatformEventNames::kOperationCancelRequested, EventOutcome::Warning, true);
  e.display_message = display_text("Cancel requested for operation " + op.name +
                                   (op.cancel_reason ? ": " + *op.cancel_reason : ""));
  return writer_.write(std::move(e));
}

OperationSnapshot PlatformEventEmitter::start_operation(OperationTracker& tracker,
                                                        std::string_view name,
                                                        const StartOptions& options) {
  OperationSnapshot op = tracker.start(name, options);
  emit_started(op);
  return op;
}

OperationSnapshot PlatformEventEmitter::complete_operation(
    OperationTracker& tracker, const OperationId& id, OperationStatus status,
    std::optional<std::string_view> message) {
  OperationSnapshot op = tracker.complete(id, status, message);
  emit_completed(op);
  return op;
}

}  // namespace incursa::platform
