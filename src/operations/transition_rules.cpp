#include "incursa/platform/operations/transition_rules.hpp"

namespace incursa::platform {

namespace {
// The table is indexed by the action's value; keep both in the same order.
constexpr bool table_matches_enum() {
  for (std::size_t i = 0; i < kTransitionRules.size(); ++i) {
    if (static_cast<std::size_t>(kTransitionRules[i].action) != i) return false;
  }
  return true;
}
static_assert(table_matches_enum(), "kTransitionRules must be in OperationAction order");

// Spot checks of contract §3 so a careless edit of the table fails to compile.
static_assert(resolve_transition(OperationAction::UpdateProgress, OperationStatus::Stalled)
                  .target == OperationStatus::Running);
static_assert(resolve_transition(OperationAction::MarkStalled, OperationStatus::Succeeded).effect ==
              TransitionEffect::NoOp);
static_assert(resolve_transition(OperationAction::Complete, OperationStatus::Failed,
                                 OperationStatus::Failed)
                  .effect == TransitionEffect::NoOp);
static_assert(resolve_transition(OperationAction::Complete, OperationStatus::Failed,
                                 OperationStatus::Succeeded)
                  .effect == TransitionEffect::Reject);
}  // namespace

std::string_view to_string(OperationAction action) noexcept {
  switch (action) {
    case OperationAction::UpdateProgress:
      return "update progress of";
    case OperationAction::Heartbeat:
      return "heartbeat";
    case OperationAction::AddEvent:
      return "add an event to";
    case OperationAction::Complete:
      return "complete";
    case OperationAction::MarkStalled:
      return "mark stalled";
    case OperationAction::RequestCancel:
      return "cancel";
  }
  return "change";
}

}  // namespace incursa::platform
