// The SQLite store: one file, nothing to run. The default store for a single
// machine (docs/sqlite.md describes the schema, durability and backup).
//
//   auto store = SqliteStore::open_uri("sqlite:/var/lib/app/ops.db");
//   Tracker tracker(store);
//
// The file is created if missing and migrated to the current schema on open. It
// runs in WAL mode: readers never block the writer, and several processes may
// open the same file at once; every write is one IMMEDIATE transaction that checks
// the operation's status under the file's write lock, so the contract §3 state machine
// holds across processes.
//
// Thread safety: every method may be called from many threads at once. Writes
// serialise on one writer connection per store object (and on the file's lock
// across processes); reads use a small pool of read-only connections.
// Errors: StoreError only. retryable() is true for a busy/locked database (the
// busy timeout expired), false for everything else: a missing directory, a
// read-only, corrupt or foreign file, a schema newer than this library, a full disk.
// Ownership: the store owns its connections; they close when the last shared_ptr
// to it goes away. A store must not be used in a child created by fork(): open a
// new one there (SQLite connections do not survive fork).
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

#include "incursa/platform/operations/operation_store.hpp"

namespace incursa::platform {

struct SqliteStoreOptions {
  // A file path, or ":memory:" for a private in-memory database.
  std::string path;

  // How hard each commit works to survive a power cut (docs/sqlite.md):
  //   Full:   every commit is fsynced before it returns. Survives process crashes
  //           and power loss.
  //   Normal: the WAL is fsynced only at checkpoints. Survives process crashes;
  //           a power loss may roll back the last commits (never corrupts).
  enum class Synchronous : std::uint8_t { Full, Normal };
  Synchronous synchronous = Synchronous::Full;

  // How long a call waits for another connection's lock before giving up with a
  // retryable StoreError.
  std::chrono::milliseconds busy_timeout{10000};

  // Read connections kept open between uses.
  std::size_t max_idle_readers = 4;
};

class SqliteStore final : public OperationStore,
                          public AuditStore,
                          public RetentionStore,
                          public TransferStore,
                          public BackupStore {
 public:
  // Opens (creating if needed) and migrates the database. Throws StoreError, or
  // ValidationError (field "path") for an empty path.
  static std::shared_ptr<SqliteStore> open(SqliteStoreOptions options);

  // "sqlite:PATH", "sqlite:///abs/path", "sqlite::memory:", with optional query
  // options "?synchronous=full|normal&busy_timeout_ms=N". A '?' in PATH is taken
  // as the start of the options. Throws ValidationError (field "store_uri") for a
  // malformed URI, StoreError when the database cannot be opened.
  static std::shared_ptr<SqliteStore> open_uri(std::string_view uri);

  // The options open_uri() would use. Throws ValidationError (field "store_uri").
  static SqliteStoreOptions parse_uri(std::string_view uri);

  // The newest schema version this library knows (and creates).
  static int latest_schema_version() noexcept;

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  std::string_view kind() const noexcept override { return "sqlite"; }
  AuditStore* audit() noexcept override { return this; }
  RetentionStore* retention() noexcept override { return this; }
  TransferStore* transfer() noexcept override { return this; }
  BackupStore* backup() noexcept override { return this; }
  InsertResult insert(const OperationSnapshot& operation, const NewEvent& created_event) override;
  TransitionResult transition(const TransitionRequest& request) override;
  bool restore(const OperationSnapshot& operation,
               const std::vector<OperationEvent>& events) override;
  std::vector<bool> restore_batch(std::span<const RestoreRecord> batch) override;
  std::vector<OperationId> taken(std::span<const OperationId> ids) override;
  std::optional<OperationSnapshot> get(const OperationId& id) override;
  std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence,
                                     std::size_t limit) override;
  std::vector<OperationSnapshot> find_stale(const StaleQuery& query) override;
  std::vector<OperationSnapshot> list(const ListRequest& request) override;
  StatusCounts count_by_status(const OperationFilter& filter,
                               std::optional<std::int64_t> at_most) override;
  bool append_audit_event(const AuditEvent& event) override;
  std::vector<AuditEvent> query_audit_events(const AuditQuery& query) override;
  std::vector<PurgeCandidate> find_purgeable(const PurgeRequest& request) override;
  std::vector<OperationId> delete_operations(const std::vector<OperationId>& ids,
                                             const PurgeRequest& request) override;
  std::size_t delete_events_before(Timestamp cutoff, std::size_t limit) override;
  std::optional<PurgedOperation> find_purged(const OperationId& id) override;

  // Writes a consistent copy of the live database to `path` (VACUUM INTO: one read
  // transaction, so writers carry on meanwhile; the copy is compacted and fsynced
  // before this returns). Refuses to overwrite an existing file. Throws StoreError.
  void backup_to(const std::string& path) override;

  // "ok", or SQLite's list of problems, one per line (PRAGMA integrity_check).
  std::string integrity_check();

  // The schema version of the open file (equal to latest_schema_version()).
  int schema_version() const noexcept;

  const SqliteStoreOptions& options() const noexcept;

 private:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace incursa::platform
