// The store interface: the few primitives every backend makes atomic (SPEC §10).
//
// A store persists snapshots and events and executes *conditional* writes. It
// never decides a transition: the Tracker owns validation, the state machine
// (transition_rules.hpp), timestamps and ids, and hands the store a request
// saying "apply these changes if the current status is one of these". The check
// and the write happen inside one atomic step of the store (a locked record, a
// transaction, a conditional UPDATE), never as a read followed by a write.
//
// Thread safety: every method may be called from many threads at once, and a
// store shared by several processes (SQLite file, PostgreSQL database) keeps the
// same guarantees across them.
// Errors: a store throws StoreError for I/O or server trouble and nothing else;
// it does not validate input (the Tracker already did).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/audit/audit_event.hpp"
#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_query.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"
#include "incursa/platform/operations/operation_status.hpp"
#include "incursa/platform/operations/purged_operation.hpp"

namespace incursa::platform {

// An event before the store gives it its sequence number.
struct NewEvent {
  Timestamp occurred_at{};
  std::string kind{};
  std::optional<std::string> message{};
  std::optional<std::string> data_json{};
  std::string key{};  // idempotency key, unique per operation
};

// Which timestamp decides that an operation is stale.
enum class ActivityBasis : std::uint8_t {
  Activity,  // updated_at: no write of any kind (progress, heartbeat, event)
  Progress,  // last_progress_at: alive maybe, but not advancing
};

// "Only if the basis timestamp is still older than cutoff."
struct StaleCondition {
  ActivityBasis basis = ActivityBasis::Activity;
  Timestamp cutoff{};
};

// Field changes a transition makes. Absent optionals leave a field as it is.
struct SnapshotChanges {
  std::optional<OperationStatus> status{};  // target status; a change appends a status event
  std::optional<double> percent{};
  std::optional<std::string> message{};
  std::optional<StructuredProgress> progress{};
  bool mark_progress = false;   // last_progress_at = at
  bool mark_completed = false;  // completed_at = at
  bool request_cancel = false;  // cancel_requested_at / cancel_reason, keeping a first request
  std::optional<std::string> cancel_reason{};
  bool increment_stall_count = false;
};

// The Tracker reuses one request per thread: a new member must also be reset in
// recycle() in src/core/tracker.cpp.
struct TransitionRequest {
  OperationId id{};
  StatusSet allowed_from{};                     // apply only from these statuses
  std::optional<StaleCondition> only_if_stale;  // and only if still stale (stall marking)
  Timestamp at{};                               // becomes updated_at (and the other *_at it sets)
  SnapshotChanges changes{};
  std::string status_event_key{};  // key of the status event, used if the status changes
  std::vector<NewEvent> events{};  // appended after the status event, in order
};

enum class TransitionOutcome : std::uint8_t {
  Applied,   // written; version bumped by one
  Rejected,  // current status not in allowed_from; nothing written
  NotFound,  // no such operation; nothing written
  NotStale,  // only_if_stale did not hold; nothing written
};

struct TransitionResult {
  TransitionOutcome outcome = TransitionOutcome::NotFound;
  // Applied: the snapshot after the write. Rejected / NotStale: as found.
  std::optional<OperationSnapshot> snapshot{};
  // Applied: the events written, the status event (if any) first.
  std::vector<OperationEvent> appended{};
};

// Where transition_into() puts the parts of a transition's result that its
// caller wants; a null pointer means "not wanted".
struct TransitionOutput {
  // Applied: the snapshot after the write. Rejected / NotStale: as found.
  OperationSnapshot* snapshot = nullptr;
  // Applied: the last event written (the last of request.events, else the status
  // event), if the write appended any; left untouched otherwise.
  OperationEvent* last_event = nullptr;

  TransitionOutcome outcome = TransitionOutcome::NotFound;
  // Applied: the status after the write. Rejected / NotStale: the status as found.
  OperationStatus status = OperationStatus::Pending;
};

struct InsertResult {
  bool created = false;  // false: the id was taken; `snapshot` is the existing record
  OperationSnapshot snapshot;
  // Set (and `created` false, `snapshot` unspecified) when the id is a purged
  // operation's whose events are still kept: nothing was written.
  std::optional<PurgedOperation> purged{};
};

struct StaleQuery {
  StatusSet statuses{OperationStatus::Pending, OperationStatus::Running};
  ActivityBasis basis = ActivityBasis::Activity;
  Timestamp cutoff{};  // basis timestamp strictly older than this
  std::size_t limit = 1000;
  // Only names starting with this (case-sensitive, no wildcards)...
  std::optional<std::string> name_prefix{};
  // ...and none starting with any of these (a longer prefix has its own rule).
  std::vector<std::string> exclude_name_prefixes{};
};

// What a retention purge may remove (SPEC §8). Only terminal operations are
// ever touched; a status without a cutoff is kept forever.
struct PurgeRequest {
  std::optional<Timestamp> succeeded_before{};  // completed_at < this
  std::optional<Timestamp> failed_before{};
  std::optional<Timestamp> canceled_before{};
  std::size_t limit = 500;  // at most this many operations per call
  Timestamp now{};          // when the purge runs: the tombstones' purged_at
};

struct PurgeCandidate {
  OperationSnapshot snapshot;
  std::int64_t event_count = 0;
};

// Where a page of list() resumes: the last row of the previous page.
struct ListCursor {
  Timestamp started_at{};
  OperationId id{};
};

struct ListRequest {
  OperationFilter filter{};
  ListOrder order = ListOrder::NewestFirst;
  std::optional<ListCursor> after{};  // rows strictly after this one in `order`
  std::size_t limit = 100;
};

class OperationStore {
 public:
  virtual ~OperationStore() = default;

  // "memory", "sqlite", "postgresql".
  virtual std::string_view kind() const noexcept = 0;

  // Creates `operation` with `created_event` as its event 1, atomically; or, if the
  // id already exists, writes nothing and returns the existing record; or, if the
  // id has a tombstone (a purged operation whose events are kept), writes nothing
  // and returns the tombstone in `purged`.
  virtual InsertResult insert(const OperationSnapshot& operation,
                              const NewEvent& created_event) = 0;

  // One atomic conditional write. When Applied: every change is made, updated_at
  // = request.at, version + 1; if changes.status differs from the current status,
  // the event made by status_change_event() is appended first, then
  // request.events, with consecutive sequence numbers.
  virtual TransitionResult transition(const TransitionRequest& request) = 0;

  // The same write as transition(), for callers on the hot path (the Tracker): the
  // store copies out only the parts of the result `out` asks for, and may move
  // strings out of `request`, which is left valid but unspecified. An empty
  // request.status_event_key asks the store to make one with new_event_key(),
  // only if it writes a status event. The default fills in the key, calls
  // transition() and copies out what was asked for, so a store that does not
  // override it behaves exactly as before.
  virtual void transition_into(TransitionRequest& request, TransitionOutput& out);

  virtual std::optional<OperationSnapshot> get(const OperationId& id) = 0;

  // Events with sequence > after_sequence, ascending, at most `limit`.
  virtual std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence,
                                             std::size_t limit) = 0;

  // Operations in `statuses` whose basis timestamp < cutoff, oldest first (ties by id).
  virtual std::vector<OperationSnapshot> find_stale(const StaleQuery& query) = 0;

  // Operations matching `request.filter`, ordered by (started_at, id) in
  // `request.order`, starting strictly after `request.after`, at most `limit`.
  // Keyset order makes paging stable while rows are inserted.
  virtual std::vector<OperationSnapshot> list(const ListRequest& request);

  // How many operations match `filter`, per status (statuses with none are omitted).
  virtual StatusCounts count_by_status(const OperationFilter& filter);

  // Stores an audit event (and its anchors) in one atomic write. Returns false,
  // writing nothing, when an event with the same id exists.
  virtual bool append_audit_event(const AuditEvent& event);

  // Audit events matching `query`, newest first (occurred_at, then id, descending).
  virtual std::vector<AuditEvent> query_audit_events(const AuditQuery& query);

  // Writes an operation and its events exactly as given -- ids, times, version,
  // sequence numbers and keys -- in one atomic write: the import half of moving
  // a store's contents to another store. Returns false, writing nothing, if the
  // id exists or has a tombstone. The caller vouches for the data (opsctl import
  // validates it).
  virtual bool restore(const OperationSnapshot& operation,
                       const std::vector<OperationEvent>& events);

  // Terminal operations the request allows to purge, oldest completion first
  // (ties by id), at most `limit`, with their event counts. Reads only.
  virtual std::vector<PurgeCandidate> find_purgeable(const PurgeRequest& request);

  // Deletes the snapshots of these operations, each only if it is still terminal
  // and still completed before its status's cutoff in `request` (so a row that
  // changed since find_purgeable is left alone). Their events stay: events have
  // their own keep period. Each deleted operation that still has events leaves a
  // tombstone (PurgedOperation, purged_at = request.now) in the same write.
  // Returns the ids deleted. One atomic write.
  virtual std::vector<OperationId> delete_operations(const std::vector<OperationId>& ids,
                                                     const PurgeRequest& request);

  // Deletes up to `limit` events that occurred before `cutoff` and belong to an
  // operation that is terminal or no longer exists; events of open operations are
  // never touched. A tombstone whose last event this deletes goes too, in the
  // same write: its id may then start a new operation, numbered from 1. Returns
  // how many events were deleted.
  virtual std::size_t delete_events_before(Timestamp cutoff, std::size_t limit);

  // The tombstone of a purged operation whose events are still kept, if `id` has one.
  virtual std::optional<PurgedOperation> find_purged(const OperationId& id);
};

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

}  // namespace incursa::platform
