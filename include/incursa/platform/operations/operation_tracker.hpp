// The two interfaces a service codes against: OperationTracker (record work) and
// OperationWatcher (find and mark stalled work). `Tracker` (tracker.hpp) is the
// standard implementation of both over any OperationStore.
//
// Thread safety: implementations are safe to call from many threads at once.
// Errors: ValidationError for bad input (nothing written), NotFoundError for an
// unknown id, InvalidTransitionError when the current status forbids the call
// (contract §3, transition_rules.hpp), ConflictError for a start that reuses an id
// under another name (OperationPurgedError, a ConflictError, for the id of a
// purged operation whose events are kept), StoreError for store trouble.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "incursa/platform/operations/operation_errors.hpp"
#include "incursa/platform/operations/operation_query.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"
#include "incursa/platform/operations/operation_store.hpp"
#include "incursa/platform/operations/timeline.hpp"

namespace incursa::platform {

struct StartOptions {
  // A caller-chosen id makes start idempotent: starting it again with the same
  // name returns the existing operation unchanged. After retention purged that
  // operation, starting the id again throws OperationPurgedError for as long as
  // its events are kept (purged_operation.hpp); then the id is free again.
  std::optional<OperationId> id{};
  // When absent, the ambient CorrelationScope's context (if any) is used.
  std::optional<CorrelationContext> correlation{};
  std::optional<OperationId> parent_id{};
  Tags tags{};
};

// Fields given overwrite the snapshot's; fields left empty keep their value.
struct ProgressUpdate {
  std::optional<double> percent{};
  std::optional<std::string> message{};
  std::optional<StructuredProgress> progress{};
};

struct StallQuery {
  std::chrono::system_clock::duration threshold = std::chrono::minutes(30);
  ActivityBasis basis = ActivityBasis::Activity;
  StatusSet statuses{OperationStatus::Pending, OperationStatus::Running};
  std::size_t limit = 1000;
  std::optional<std::string> name_prefix{};
  std::vector<std::string> exclude_name_prefixes{};
};

// What update_progress_with_event wrote: the snapshot after it, and the event.
struct ProgressWithEvent {
  OperationSnapshot snapshot{};
  OperationEvent event{};
};

class OperationTracker {
 public:
  virtual ~OperationTracker() = default;

  // Creates a Pending operation (event 1: a status event). See StartOptions::id
  // for starting an id again.
  virtual OperationSnapshot start(std::string_view name, const StartOptions& options = {}) = 0;

  // Pending/Stalled -> Running; Running stays. Moves last_progress_at. The returned
  // snapshot's cancel_requested() tells the worker that a cancel was asked for.
  virtual OperationSnapshot update_progress(const OperationId& id,
                                            const ProgressUpdate& update) = 0;

  // Proof of life without progress: like update_progress with no fields, but does
  // not move last_progress_at.
  virtual OperationSnapshot heartbeat(const OperationId& id) = 0;

  // Appends an event in any status (late evidence is accepted on terminal operations).
  virtual OperationEvent add_event(const OperationId& id, std::string_view kind,
                                   std::optional<std::string_view> message = std::nullopt,
                                   std::optional<std::string_view> data_json = std::nullopt) = 0;

  // update_progress, then add_event, as one write where the tracker can (Tracker
  // does: one store transition, so a crash keeps both or neither). Accepted in
  // the statuses update_progress accepts; otherwise InvalidTransitionError and
  // nothing is written. This default makes the two calls in turn.
  virtual ProgressWithEvent update_progress_with_event(
      const OperationId& id, const ProgressUpdate& update, std::string_view kind,
      std::optional<std::string_view> message = std::nullopt,
      std::optional<std::string_view> data_json = std::nullopt) {
    ProgressWithEvent written;
    written.snapshot = update_progress(id, update);
    written.event = add_event(id, kind, message, data_json);
    return written;
  }

  // Moves to a terminal status. Repeating the same terminal status is a no-op;
  // a different one is an InvalidTransitionError. A non-terminal status is a
  // ValidationError.
  virtual OperationSnapshot complete(const OperationId& id, OperationStatus status,
                                     std::optional<std::string_view> message = std::nullopt) = 0;

  // Records a cancel request and a cancel_requested event; a no-op once terminal.
  virtual OperationSnapshot request_cancel(
      const OperationId& id, std::optional<std::string_view> reason = std::nullopt) = 0;

  virtual std::optional<OperationSnapshot> get_snapshot(const OperationId& id) = 0;

  // Events after `after_sequence`, in sequence order, at most `limit` (1..10000).
  virtual std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence = 0,
                                             std::size_t limit = 1000) = 0;

  // One page of operations matching the query (contract §5). Pass the returned
  // next_page_token back, with the same filter and order, for the next page; no
  // page repeats or skips a row while rows are being added.
  virtual OperationPage list(const OperationQuery& query) = 0;

  // How many operations match `filter`, per status (statuses with none are
  // omitted). Exact by default, which reads every match; with `at_most` (>= 1)
  // each status is counted up to at_most + 1, and a count of at_most + 1 means
  // "more than at_most" -- what a screen shows as "10,000+" at any store size.
  virtual StatusCounts count_by_status(const OperationFilter& filter = {},
                                       std::optional<std::int64_t> at_most = std::nullopt) = 0;

  // Direct children (operations started with parent_id = id), oldest first.
  virtual OperationPage children(const OperationId& id, std::size_t limit = 100,
                                 std::optional<std::string> page_token = std::nullopt) = 0;

  // The operation, its events, its children and the audit events anchored to it
  // or to them, in time order; operations that only share its correlation id
  // apart, in `related` (timeline.hpp). Bounded by `limits`: `truncated` says
  // what was left out. NotFoundError if there is no such operation (its message
  // says so when retention purged it).
  virtual Timeline timeline(const OperationId& id, const TimelineLimits& limits = {}) = 0;
};

class OperationWatcher {
 public:
  virtual ~OperationWatcher() = default;

  // Operations (Pending and Running by default) with no activity -- or, with
  // basis Progress, no progress -- for longer than the threshold. Oldest first.
  virtual std::vector<OperationSnapshot> find_stalled(const StallQuery& query) = 0;

  // Pending/Running -> Stalled, stall_count + 1, a status event. Returns true if
  // this call marked it; false if it was already Stalled or terminal (no-op).
  virtual bool mark_stalled(const OperationId& id) = 0;

  // The monitor's variant: marks only if the operation is *still* stale by
  // `still_stale` (activity since the scan leaves it alone). Several watchers
  // racing on one store mark an operation once: exactly one call returns true.
  virtual bool mark_stalled(const OperationId& id, const StaleCondition& still_stale) = 0;
};

}  // namespace incursa::platform
