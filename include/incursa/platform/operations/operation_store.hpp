// The store interface: the few primitives every backend makes atomic (contract §10).
// docs/writing-a-store.md walks through implementing it; the conformance suite
// (tests/conformance/) is the gate a store passes. Helpers for store authors are
// in store_support.hpp.
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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/audit/audit_store.hpp"
#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/backup_store.hpp"
#include "incursa/platform/operations/operation_query.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"
#include "incursa/platform/operations/operation_status.hpp"
#include "incursa/platform/operations/purged_operation.hpp"
#include "incursa/platform/operations/retention_store.hpp"
#include "incursa/platform/operations/transfer_store.hpp"

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
// recycle() in src/operations/tracker.cpp.
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
  // only if it writes a status event. Optional: the default fills in the key,
  // calls transition() and copies out what was asked for.
  virtual void transition_into(TransitionRequest& request, TransitionOutput& out);

  virtual std::optional<OperationSnapshot> get(const OperationId& id) = 0;

  // Events with sequence > after_sequence, ascending, at most `limit`.
  virtual std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence,
                                             std::size_t limit) = 0;

  // Operations in `statuses` whose basis timestamp < cutoff, oldest first (ties by id).
  virtual std::vector<OperationSnapshot> find_stale(const StaleQuery& query) = 0;

  // Operations matching `request.filter` (matches() in operation_query.hpp is the
  // reference), ordered by (started_at, id) in `request.order`, starting strictly
  // after `request.after`, at most `limit`. Keyset order makes paging stable while
  // rows are inserted.
  virtual std::vector<OperationSnapshot> list(const ListRequest& request) = 0;

  // How many operations match `filter`, per status (statuses with none are
  // omitted). With `at_most`, each status is counted only up to at_most + 1:
  // a count of at_most + 1 means "more than at_most" (kept interactive at any
  // size by reading at most that many index entries per status).
  virtual StatusCounts count_by_status(const OperationFilter& filter,
                                       std::optional<std::int64_t> at_most) = 0;

  // Optional capabilities, each in its own header. A store that has one returns
  // it (usually itself); the default, nullptr, says it has not. The pointer
  // lives as long as the store.
  virtual AuditStore* audit() noexcept { return nullptr; }          // audit/audit_store.hpp
  virtual RetentionStore* retention() noexcept { return nullptr; }  // retention_store.hpp
  virtual TransferStore* transfer() noexcept { return nullptr; }    // transfer_store.hpp
  virtual BackupStore* backup() noexcept { return nullptr; }        // backup_store.hpp
};

// `store`'s audit capability, sharing the store's ownership: what AuditLog takes.
// Throws StoreError (not retryable) when the store keeps no audit events.
std::shared_ptr<AuditStore> audit_store(const std::shared_ptr<OperationStore>& store);

// The tombstone of `id` (RetentionStore::find_purged); nothing from a store
// without retention, which never purges.
std::optional<PurgedOperation> find_purged(OperationStore& store, const OperationId& id);

}  // namespace incursa::platform
