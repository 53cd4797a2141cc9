#include "incursa/platform/operations/operation_validation.hpp"

#include <string>
#include <unordered_set>

#include "base/validation.hpp"
#include "correlation/correlation_validation.hpp"
#include "incursa/platform/error.hpp"
#include "operations/operation_rules.hpp"

namespace incursa::platform {

void validate_snapshot(const OperationSnapshot& s) {
  if (s.id.empty()) throw ValidationError("id", "is required");
  validation::operation_name(s.name);
  if (s.terminal() != s.completed_at.has_value()) {
    throw ValidationError("completed_at", s.terminal()
                                              ? "is required for a terminal status"
                                              : "must be null unless the status is terminal");
  }
  validation::percent(s.percent);
  validation::message(s.message);
  validation::progress(s.progress);
  if (s.correlation) validation::correlation(*s.correlation);
  if (s.parent_id && s.parent_id->empty()) throw ValidationError("parent_id", "must not be empty");
  validation::tags(s.tags);
  if (s.cancel_reason && !s.cancel_requested_at) {
    throw ValidationError("cancel_reason", "needs cancel_requested_at");
  }
  validation::message(s.cancel_reason, "cancel_reason");
  if (s.stall_count < 0) throw ValidationError("stall_count", "must not be negative");
  if (s.version < 1) throw ValidationError("version", "must be at least 1");
}

void validate_events(const OperationSnapshot& snapshot, const std::vector<OperationEvent>& events) {
  std::int64_t previous = 0;
  std::unordered_set<std::string> keys;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const OperationEvent& e = events[i];
    const std::string at = "events[" + std::to_string(i) + "].";
    // The rules name their own field; prefix it with the event's position.
    try {
      if (e.operation_id != snapshot.id) {
        throw ValidationError("operation_id", "must be the operation's id");
      }
      if (e.sequence <= previous) {
        throw ValidationError("sequence", "must be positive and increasing");
      }
      validation::event_kind(e.kind);
      validation::message(e.message);
      validation::data_json(e.data_json);
      if (e.key.empty()) throw ValidationError("key", "is required");
      if (!keys.insert(e.key).second) throw ValidationError("key", "must be unique per operation");
    } catch (const ValidationError& error) {
      throw ValidationError(at + error.field(), error.rule());
    }
    previous = e.sequence;
  }
}

}  // namespace incursa::platform
