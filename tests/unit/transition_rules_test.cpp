// The contract §3 state machine, checked cell by cell against an independently
// written expectation (not derived from kTransitionRules).
#include "incursa/platform/operations/transition_rules.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <set>
#include <string>

namespace incursa::platform {
namespace {

using S = OperationStatus;
using A = OperationAction;
using E = TransitionEffect;

constexpr std::array<S, 6> kAllStatuses{S::Pending, S::Running,  S::Succeeded,
                                        S::Failed,  S::Canceled, S::Stalled};
constexpr std::array<S, 3> kTerminal{S::Succeeded, S::Failed, S::Canceled};

struct Expected {
  E effect;
  std::optional<S> target;
};

std::string describe(A action, S current) {
  return std::string(to_string(action)) + " from " + std::string(to_string(current));
}

void expect_cell(A action, S current, Expected expected) {
  const ResolvedTransition got = resolve_transition(action, current);
  EXPECT_EQ(got.effect, expected.effect) << describe(action, current);
  EXPECT_EQ(got.target, expected.target) << describe(action, current);
}

// contract §3, column "update_progress / heartbeat".
Expected expected_progress(S from) {
  switch (from) {
    case S::Pending:
      return {E::Apply, S::Running};
    case S::Running:
      return {E::Apply, S::Running};  // stays Running, still a write
    case S::Stalled:
      return {E::Apply, S::Running};  // resumed
    default:
      return {E::Reject, std::nullopt};
  }
}

TEST(TransitionRules, UpdateProgressEveryStatus) {
  for (S s : kAllStatuses) expect_cell(A::UpdateProgress, s, expected_progress(s));
}

TEST(TransitionRules, HeartbeatEveryStatus) {
  for (S s : kAllStatuses) expect_cell(A::Heartbeat, s, expected_progress(s));
}

TEST(TransitionRules, AddEventAllowedFromEveryStatusWithoutStatusChange) {
  // "stays" for non-terminal; "allowed (evidence may arrive late)" for terminal.
  expect_cell(A::AddEvent, S::Pending, {E::Apply, std::nullopt});
  expect_cell(A::AddEvent, S::Running, {E::Apply, std::nullopt});
  expect_cell(A::AddEvent, S::Succeeded, {E::Apply, std::nullopt});
  expect_cell(A::AddEvent, S::Failed, {E::Apply, std::nullopt});
  expect_cell(A::AddEvent, S::Canceled, {E::Apply, std::nullopt});
  expect_cell(A::AddEvent, S::Stalled, {E::Apply, std::nullopt});
}

TEST(TransitionRules, MarkStalledEveryStatus) {
  expect_cell(A::MarkStalled, S::Pending, {E::Apply, S::Stalled});
  expect_cell(A::MarkStalled, S::Running, {E::Apply, S::Stalled});
  expect_cell(A::MarkStalled, S::Stalled, {E::NoOp, S::Stalled});
  // Never overwrites a terminal status.
  expect_cell(A::MarkStalled, S::Succeeded, {E::NoOp, S::Succeeded});
  expect_cell(A::MarkStalled, S::Failed, {E::NoOp, S::Failed});
  expect_cell(A::MarkStalled, S::Canceled, {E::NoOp, S::Canceled});
}

TEST(TransitionRules, RequestCancelEveryStatus) {
  // "flag set": a write without a status change.
  expect_cell(A::RequestCancel, S::Pending, {E::Apply, std::nullopt});
  expect_cell(A::RequestCancel, S::Running, {E::Apply, std::nullopt});
  expect_cell(A::RequestCancel, S::Stalled, {E::Apply, std::nullopt});
  expect_cell(A::RequestCancel, S::Succeeded, {E::NoOp, S::Succeeded});
  expect_cell(A::RequestCancel, S::Failed, {E::NoOp, S::Failed});
  expect_cell(A::RequestCancel, S::Canceled, {E::NoOp, S::Canceled});
}

TEST(TransitionRules, CompleteEveryStatusTimesEveryTerminalTarget) {
  int cells = 0;
  for (S from : kAllStatuses) {
    for (S requested : kTerminal) {
      const ResolvedTransition got = resolve_transition(A::Complete, from, requested);
      const std::string where =
          describe(A::Complete, from) + " to " + std::string(to_string(requested));
      const bool from_terminal = from == S::Succeeded || from == S::Failed || from == S::Canceled;
      if (!from_terminal) {
        EXPECT_EQ(got.effect, E::Apply) << where;
        EXPECT_EQ(got.target, requested) << where;
      } else if (from == requested) {
        EXPECT_EQ(got.effect, E::NoOp) << where;
        EXPECT_EQ(got.target, from) << where;
      } else {
        EXPECT_EQ(got.effect, E::Reject) << where;
        EXPECT_EQ(got.target, std::nullopt) << where;
      }
      ++cells;
    }
  }
  EXPECT_EQ(cells, 18);
}

TEST(TransitionRules, CompleteExplicitCells) {
  EXPECT_EQ(resolve_transition(A::Complete, S::Stalled, S::Canceled).target, S::Canceled);
  EXPECT_EQ(resolve_transition(A::Complete, S::Pending, S::Failed).effect, E::Apply);
  EXPECT_EQ(resolve_transition(A::Complete, S::Succeeded, S::Succeeded).effect, E::NoOp);
  EXPECT_EQ(resolve_transition(A::Complete, S::Succeeded, S::Failed).effect, E::Reject);
  EXPECT_EQ(resolve_transition(A::Complete, S::Canceled, S::Succeeded).effect, E::Reject);
  EXPECT_EQ(resolve_transition(A::Complete, S::Failed, S::Canceled).effect, E::Reject);
}

TEST(TransitionRules, CompleteWithoutRequestedStatusOnTerminalIsRejected) {
  for (S from : kTerminal) {
    EXPECT_EQ(resolve_transition(A::Complete, from).effect, E::Reject) << to_string(from);
  }
}

TEST(TransitionRules, NoStatusChangeLeavesTerminalState) {
  // Whatever the action, a terminal operation never moves to another status.
  for (A action :
       {A::UpdateProgress, A::Heartbeat, A::AddEvent, A::MarkStalled, A::RequestCancel}) {
    for (S from : kTerminal) {
      const ResolvedTransition got = resolve_transition(action, from);
      if (got.effect == E::Apply) {
        EXPECT_FALSE(got.target.has_value()) << describe(action, from);
      } else if (got.effect == E::NoOp) {
        EXPECT_EQ(got.target, from) << describe(action, from);
      }
    }
  }
}

TEST(TransitionRules, TableOrderMatchesEnum) {
  ASSERT_EQ(kTransitionRules.size(), 6u);
  EXPECT_EQ(kTransitionRules[0].action, A::UpdateProgress);
  EXPECT_EQ(kTransitionRules[1].action, A::Heartbeat);
  EXPECT_EQ(kTransitionRules[2].action, A::AddEvent);
  EXPECT_EQ(kTransitionRules[3].action, A::Complete);
  EXPECT_EQ(kTransitionRules[4].action, A::MarkStalled);
  EXPECT_EQ(kTransitionRules[5].action, A::RequestCancel);
  for (std::size_t i = 0; i < kTransitionRules.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kTransitionRules[i].action), i);
  }
  // Only Complete takes the caller's target.
  for (const auto& rule : kTransitionRules) {
    EXPECT_EQ(rule.target_is_requested, rule.action == A::Complete);
  }
}

TEST(TransitionRules, AppliesAndNoOpSetsAreDisjoint) {
  for (const auto& rule : kTransitionRules) {
    EXPECT_EQ(rule.applies_from.bits() & rule.no_op_from.bits(), 0) << to_string(rule.action);
  }
}

TEST(TransitionRules, ActionNamesAreDistinctAndNonEmpty) {
  std::set<std::string> names;
  for (A action : {A::UpdateProgress, A::Heartbeat, A::AddEvent, A::Complete, A::MarkStalled,
                   A::RequestCancel}) {
    const std::string name(to_string(action));
    EXPECT_FALSE(name.empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 6u);
}

TEST(TransitionRules, ResolveIsUsableAtCompileTime) {
  constexpr ResolvedTransition r = resolve_transition(A::Heartbeat, S::Stalled);
  static_assert(r.effect == E::Apply);
  static_assert(r.target == S::Running);
  EXPECT_EQ(r.target, S::Running);
}

}  // namespace
}  // namespace incursa::platform
