// The contract §3 state machine, written once, as data.
//
// For each call, the statuses from which the store applies the write, the ones
// from which the call succeeds without writing, and the target status. Any
// other current status makes the call an InvalidTransitionError. The Tracker
// reads this table; stores only execute the conditional writes it implies.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "incursa/platform/operations/operation_status.hpp"

namespace incursa::platform {

enum class OperationAction : std::uint8_t {
  UpdateProgress,
  Heartbeat,
  AddEvent,
  Complete,
  MarkStalled,
  RequestCancel,
};

std::string_view to_string(OperationAction action) noexcept;

struct TransitionRule {
  OperationAction action;
  StatusSet applies_from;                 // write happens from these
  StatusSet no_op_from;                   // success without a write from these
  std::optional<OperationStatus> target;  // fixed target, if the call has one
  bool target_is_requested = false;       // Complete: the target is the caller's status,
                                          // and repeating it on a terminal op is a no-op
};

inline constexpr std::array<TransitionRule, 6> kTransitionRules{{
    {OperationAction::UpdateProgress, StatusSet::non_terminal(), StatusSet{},
     OperationStatus::Running, false},
    {OperationAction::Heartbeat, StatusSet::non_terminal(), StatusSet{}, OperationStatus::Running,
     false},
    {OperationAction::AddEvent, StatusSet::all(), StatusSet{}, std::nullopt, false},
    {OperationAction::Complete, StatusSet::non_terminal(), StatusSet{}, std::nullopt, true},
    {OperationAction::MarkStalled, StatusSet{OperationStatus::Pending, OperationStatus::Running},
     StatusSet::terminal().with(OperationStatus::Stalled), OperationStatus::Stalled, false},
    {OperationAction::RequestCancel, StatusSet::non_terminal(), StatusSet::terminal(), std::nullopt,
     false},
}};

// What a call does from a given status.
enum class TransitionEffect : std::uint8_t { Apply, NoOp, Reject };

struct ResolvedTransition {
  TransitionEffect effect;
  std::optional<OperationStatus> target;  // status after the call when applied
};

// Resolves the rule for `action` from `current`. For Complete pass the requested
// terminal status in `requested`.
constexpr ResolvedTransition resolve_transition(OperationAction action, OperationStatus current,
                                                std::optional<OperationStatus> requested = {}) {
  const TransitionRule& rule = kTransitionRules[static_cast<std::size_t>(action)];
  // Read `requested` through has_value()/operator* only: GCC 12 reports a false
  // maybe-uninitialized when a by-value std::optional parameter is copied at -O2.
  const bool has_requested = requested.has_value();
  const OperationStatus requested_status = has_requested ? *requested : current;
  if (rule.applies_from.contains(current)) {
    if (!rule.target_is_requested) return {TransitionEffect::Apply, rule.target};
    if (!has_requested) return {TransitionEffect::Apply, std::nullopt};
    return {TransitionEffect::Apply, requested_status};
  }
  if (rule.no_op_from.contains(current)) return {TransitionEffect::NoOp, current};
  if (rule.target_is_requested && has_requested && current == requested_status) {
    return {TransitionEffect::NoOp, current};
  }
  return {TransitionEffect::Reject, std::nullopt};
}

}  // namespace incursa::platform
