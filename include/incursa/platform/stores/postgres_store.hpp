// The PostgreSQL store: one database shared by every instance of every service
// (docs/postgres.md describes the schema, the retry policy and sizing).
//
//   auto store = PostgresStore::open_uri("postgresql://app:secret@db:5432/ops?schema=billing");
//   Tracker tracker(store);
//
// PostgreSQL is the distributed engine: its replication and failover are the
// cluster; this store adds none of its own. Opening migrates the schema (under an
// advisory lock, so many processes starting together migrate it exactly once).
// Every transition is one call of a server-side function that locks the row,
// checks the status, writes the snapshot and its events and returns the result:
// one statement per call, atomic across processes and hosts. Concurrent callers'
// writes are group-committed: batched into one transaction and one round trip
// (pipeline mode, a savepoint per call), each call returning once its batch
// committed.
//
// Thread safety: every method may be called from many threads at once. Calls take
// a connection from a bounded pool (a call waits when all are busy).
// Errors: StoreError only (plus ValidationError from open/open_uri/parse_uri for a
// malformed URI or schema name). retryable() is true for connection loss, a server
// shutting down or starting up, serialization failures and deadlocks; false for
// everything else (authentication, a missing database, a schema newer than this
// library, a statement timeout). Transient failures are first retried inside the
// store with bounded backoff, but only where repeating the call cannot write twice
// (PostgresRetryPolicy). Messages name the call and quote the server; they never
// contain the password.
// Ownership: the store owns its connections; they close when the last shared_ptr
// to it goes away.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform {

// How the store repeats a call that failed for a transient reason. Only calls
// that cannot write twice are repeated: reads, insert (the id makes it
// idempotent) and transitions that append at least one event (the event's key
// makes them idempotent). A transition that appends nothing (a heartbeat on a
// Running operation) is repeated only when the server certainly did not run it.
struct PostgresRetryPolicy {
  int max_attempts = 5;                           // tries in all, the first included; 1 = none
  std::chrono::milliseconds initial_backoff{50};  // before the second try
  std::chrono::milliseconds max_backoff{1000};    // the wait doubles up to this
};

struct PostgresStoreOptions {
  // A libpq connection string or URI ("postgresql://user:pw@host:port/db?sslmode=…").
  std::string conninfo;
  // The PostgreSQL schema holding the tables: [a-z_][a-z0-9_]{0,62}, not "pg_…".
  // Several services may share one database with one schema each, or share a schema
  // to see each other's operations.
  std::string schema = "incursa_platform";
  // Connections this store keeps at most (opened lazily, broken ones replaced).
  std::size_t pool_size = 8;
  // Group commit: writes (insert, transition) of concurrent callers are sent
  // together in pipeline mode, one transaction and one round trip per batch, a
  // savepoint per call so that a failing call fails alone. This many batches may
  // be in flight at once, each on its own pooled connection (at most pool_size).
  // 0 turns batching off: every write is its own autocommit statement.
  std::size_t max_write_batches = 8;
  // Calls in one batch at most (1..64; subtransactions beyond 64 cost the server).
  std::size_t max_batch_size = 48;
  // How long a call may wait for a free connection before a retryable StoreError.
  std::chrono::milliseconds pool_wait_timeout{30000};
  // The server cancels any one statement running longer (non-retryable StoreError).
  std::chrono::milliseconds statement_timeout{30000};
  // libpq's connect_timeout, unless the connection string sets its own.
  std::chrono::seconds connect_timeout{10};
  // Take every timestamp the store writes (updated_at, last_progress_at,
  // completed_at, cancel_requested_at, started_at, events' occurred_at) from the
  // database's clock instead of the caller's, so that a host with a skewed clock
  // can neither fake a stall nor hide one. Stale cutoffs are then measured on the
  // database clock too: cutoff_db = now_db - (now_app - cutoff), where now_app is
  // the request's time for transitions and `clock->now()` for find_stale.
  bool use_database_clock = false;
  // The application's clock, used only to turn cutoffs into ages when
  // use_database_clock is on. Pass the Tracker's clock. Default: SystemClock.
  std::shared_ptr<Clock> clock{};
  PostgresRetryPolicy retry{};
};

class PostgresStore final : public OperationStore,
                            public AuditStore,
                            public RetentionStore,
                            public TransferStore {
 public:
  // Connects, migrates the schema and returns the store. Throws StoreError when the
  // server cannot be reached or the schema cannot be migrated, ValidationError for a
  // bad schema name or connection string.
  static std::shared_ptr<PostgresStore> open(PostgresStoreOptions options);

  // "postgresql://…" or "postgres://…". The query parameters `schema`, `pool_size`,
  // `write_batches` (max_write_batches), `statement_timeout_ms` and
  // `use_database_clock` (true/false) are the store's;
  // every other one is handed to libpq. Throws like open().
  static std::shared_ptr<PostgresStore> open_uri(std::string_view uri);

  // The options open_uri() would use. Throws ValidationError (field "store_uri").
  static PostgresStoreOptions parse_uri(std::string_view uri);

  // The newest schema version this library knows (and creates).
  static int latest_schema_version() noexcept;

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  std::string_view kind() const noexcept override { return "postgresql"; }
  AuditStore* audit() noexcept override { return this; }
  RetentionStore* retention() noexcept override { return this; }
  TransferStore* transfer() noexcept override { return this; }
  InsertResult insert(const OperationSnapshot& operation, const NewEvent& created_event) override;
  TransitionResult transition(const TransitionRequest& request) override;
  std::optional<OperationSnapshot> get(const OperationId& id) override;
  std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence,
                                     std::size_t limit) override;
  std::vector<OperationSnapshot> find_stale(const StaleQuery& query) override;
  std::vector<OperationSnapshot> list(const ListRequest& request) override;
  StatusCounts count_by_status(const OperationFilter& filter,
                               std::optional<std::int64_t> at_most) override;
  // False when the id exists. When the store itself repeats the call after a lost
  // reply, finding an identical event under the id counts as its own first try.
  bool append_audit_event(const AuditEvent& event) override;
  std::vector<AuditEvent> query_audit_events(const AuditQuery& query) override;
  // False when the id exists (with the same proviso for the store's own repeats).
  bool restore(const OperationSnapshot& operation,
               const std::vector<OperationEvent>& events) override;
  std::vector<bool> restore_batch(std::span<const RestoreRecord> batch) override;
  std::vector<OperationId> taken(std::span<const OperationId> ids) override;
  std::vector<PurgeCandidate> find_purgeable(const PurgeRequest& request) override;
  std::vector<OperationId> delete_operations(const std::vector<OperationId>& ids,
                                             const PurgeRequest& request) override;
  std::size_t delete_events_before(Timestamp cutoff, std::size_t limit) override;
  std::optional<PurgedOperation> find_purged(const OperationId& id) override;

  // The schema version found (and left) by open(): latest_schema_version().
  int schema_version() const noexcept;

  const std::string& schema() const noexcept;

  // Counters for monitoring and tests. Thread-safe snapshot.
  struct Stats {
    std::size_t open_connections = 0;         // now, idle or in use
    std::uint64_t connections_opened = 0;     // since open()
    std::uint64_t connections_discarded = 0;  // found broken and dropped
    std::uint64_t retries = 0;                // calls repeated after a transient failure
    std::uint64_t write_batches = 0;          // group-commit transactions (a lone call included)
    std::uint64_t batched_writes = 0;         // writes they carried
    std::uint64_t largest_batch = 0;          // writes in the largest one
    std::size_t queued_writes = 0;            // writes waiting for a batch now
  };
  Stats stats() const;

 private:
  struct Impl;
  explicit PostgresStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace incursa::platform
