// Helpers for store authors: what every store computes the same way, so that
// stores agree byte for byte (status events), rule for rule (retention cutoffs,
// stale checks, name prefixes), and a store that reads a record, changes it and
// writes it back inside its atomic step (memory, SQLite) need not re-implement
// the changes. Callers of a store do not need this header.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform {

// The cutoff `request` sets for a terminal status (nullopt: keep forever).
std::optional<Timestamp> purge_cutoff(const PurgeRequest& request, OperationStatus status) noexcept;

// True if `snapshot` may be purged under `request`.
bool is_purgeable(const OperationSnapshot& snapshot, const PurgeRequest& request) noexcept;

// True if `name` passes the prefix filters of `query`.
bool name_matches(const StaleQuery& query, std::string_view name) noexcept;

// The status event every store appends when a transition changes the status:
// kind "status", message "<from> -> <to>", data {"from":…,"to":…} plus the
// transition's message when it carries one. Shared so that stores agree byte for byte.
NewEvent status_change_event(OperationStatus from, const TransitionRequest& request);

// The same event for an explicit transition `from` -> `to` at `at`, carrying
// `message` (the transition's message, if any) in its data.
NewEvent status_change_event(OperationStatus from, OperationStatus to, Timestamp at,
                             const std::optional<std::string>& message, std::string key);

// Applies the field changes of `request` to `snapshot` (status, fields,
// updated_at, version) without building any event; returns the status it had
// before. apply_changes() is this plus the events.
OperationStatus apply_snapshot_changes(OperationSnapshot& snapshot,
                                       const TransitionRequest& request);

// Applies `request` to `snapshot` in memory, for stores that read the record
// inside their atomic step and write it back (memory, SQLite in one IMMEDIATE
// transaction). Assumes the preconditions were checked. Sets every changed field,
// updated_at and version, and returns the events to append in order: the status
// event first when the status changes. Sequence numbers are the store's to assign.
std::vector<NewEvent> apply_changes(OperationSnapshot& snapshot, const TransitionRequest& request);

// True if the basis timestamp of `snapshot` is older than `condition.cutoff`.
bool is_stale(const OperationSnapshot& snapshot, const StaleCondition& condition) noexcept;

// A fresh event idempotency key: 14 characters of [A-Za-z0-9_-] carrying 84
// random bits. Thread-safe, lock-free, and short enough that the key and the
// status-event key made from it by appending "s" need no heap allocation.
std::string new_event_key();

// The event 1 of every operation: kind "status", message "Pending".
NewEvent created_event(Timestamp at, std::string key);

// Exact counts cut as OperationStore::count_by_status reports them under
// `at_most`: a count above it becomes at_most + 1. For stores that count
// exactly anyway (in memory).
StatusCounts cap_counts(StatusCounts counts, std::optional<std::int64_t> at_most);

}  // namespace incursa::platform
