#include "sqlite_schema.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "incursa/platform/error.hpp"

namespace incursa::platform::sqlite {

namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Append-only: a released migration is never edited, a change is a new entry.
// docs/sqlite.md describes the resulting schema; keep the two in step.
constexpr Migration kMigrations[] = {
    {1, "operations, events and tags",
     R"sql(
CREATE TABLE schema_version (
  version     INTEGER PRIMARY KEY NOT NULL,
  applied_at  INTEGER NOT NULL,
  description TEXT NOT NULL
);

CREATE TABLE operations (
  id                  TEXT PRIMARY KEY NOT NULL,
  name                TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN
                        ('Pending','Running','Succeeded','Failed','Canceled','Stalled')),
  started_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  last_progress_at    INTEGER NOT NULL,
  completed_at        INTEGER,
  percent             REAL,
  message             TEXT,
  progress_current    INTEGER,
  progress_total      INTEGER,
  progress_unit       TEXT,
  correlation_id      TEXT,
  correlation_json    TEXT,
  parent_id           TEXT,
  tags_json           TEXT NOT NULL DEFAULT '{}',
  cancel_requested_at INTEGER,
  cancel_reason       TEXT,
  stall_count         INTEGER NOT NULL DEFAULT 0,
  version             INTEGER NOT NULL,
  last_sequence       INTEGER NOT NULL
);

CREATE INDEX operations_stale_by_activity ON operations (updated_at, id)
  WHERE status IN ('Pending','Running');
CREATE INDEX operations_stale_by_progress ON operations (last_progress_at, id)
  WHERE status IN ('Pending','Running');
CREATE INDEX operations_by_name ON operations (name, started_at);
CREATE INDEX operations_by_started ON operations (started_at, id);
CREATE INDEX operations_by_status ON operations (status, started_at);
CREATE INDEX operations_by_correlation ON operations (correlation_id, started_at)
  WHERE correlation_id IS NOT NULL;
CREATE INDEX operations_by_parent ON operations (parent_id, started_at)
  WHERE parent_id IS NOT NULL;

CREATE TABLE operation_tags (
  operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
  key          TEXT NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (operation_id, key)
) WITHOUT ROWID;

CREATE INDEX operation_tags_by_key_value ON operation_tags (key, value);

CREATE TABLE operation_events (
  operation_id TEXT NOT NULL,
  sequence     INTEGER NOT NULL,
  occurred_at  INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  message      TEXT,
  data_json    TEXT,
  key          TEXT NOT NULL,
  PRIMARY KEY (operation_id, sequence),
  UNIQUE (operation_id, key)
) WITHOUT ROWID;
)sql"},
    {2, "audit events, retention indexes",
     R"sql(
CREATE TABLE audit_events (
  id              TEXT PRIMARY KEY NOT NULL,
  occurred_at     INTEGER NOT NULL,
  name            TEXT NOT NULL,
  display_message TEXT NOT NULL,
  outcome         TEXT NOT NULL CHECK (outcome IN ('Success','Failure','Warning','Info')),
  anchors_json    TEXT NOT NULL,
  data_json       TEXT,
  actor_type      TEXT,
  actor_id        TEXT,
  actor_display   TEXT,
  correlation_id  TEXT,
  correlation_json TEXT
);

CREATE INDEX audit_events_by_time ON audit_events (occurred_at, id);
CREATE INDEX audit_events_by_name ON audit_events (name, occurred_at);
CREATE INDEX audit_events_by_correlation ON audit_events (correlation_id, occurred_at)
  WHERE correlation_id IS NOT NULL;

CREATE TABLE audit_anchors (
  event_id  TEXT NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
  position  INTEGER NOT NULL,
  type      TEXT NOT NULL,
  anchor_id TEXT NOT NULL,
  role      TEXT NOT NULL,
  PRIMARY KEY (event_id, position)
) WITHOUT ROWID;

CREATE INDEX audit_anchors_by_object ON audit_anchors (type, anchor_id, role);

CREATE INDEX operations_purgeable ON operations (completed_at, id)
  WHERE status IN ('Succeeded','Failed','Canceled');
CREATE INDEX operation_events_by_time ON operation_events (occurred_at);
)sql"},
    // SQLite evaluates `x IN (a, b, c)` -- three constants or more -- by building
    // a temporary b-tree each time a statement runs; the v1 status CHECK and the
    // v2 purge index made every insert and status write allocate and free one
    // (docs/performance.md). Comparisons joined by OR mean the same and cost
    // nothing. A CHECK cannot be altered in place, so the table is rebuilt, with
    // foreign keys off (migrate() runs before they are enabled) so the drop does
    // not cascade to operation_tags.
    {3, "status checks without IN lists",
     R"sql(
CREATE TABLE operations_v3 (
  id                  TEXT PRIMARY KEY NOT NULL,
  name                TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status = 'Pending' OR status = 'Running' OR
                        status = 'Succeeded' OR status = 'Failed' OR status = 'Canceled' OR
                        status = 'Stalled'),
  started_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  last_progress_at    INTEGER NOT NULL,
  completed_at        INTEGER,
  percent             REAL,
  message             TEXT,
  progress_current    INTEGER,
  progress_total      INTEGER,
  progress_unit       TEXT,
  correlation_id      TEXT,
  correlation_json    TEXT,
  parent_id           TEXT,
  tags_json           TEXT NOT NULL DEFAULT '{}',
  cancel_requested_at INTEGER,
  cancel_reason       TEXT,
  stall_count         INTEGER NOT NULL DEFAULT 0,
  version             INTEGER NOT NULL,
  last_sequence       INTEGER NOT NULL
);

INSERT INTO operations_v3 SELECT * FROM operations;
DROP TABLE operations;
ALTER TABLE operations_v3 RENAME TO operations;

CREATE INDEX operations_stale_by_activity ON operations (updated_at, id)
  WHERE status IN ('Pending','Running');
CREATE INDEX operations_stale_by_progress ON operations (last_progress_at, id)
  WHERE status IN ('Pending','Running');
CREATE INDEX operations_by_name ON operations (name, started_at);
CREATE INDEX operations_by_started ON operations (started_at, id);
CREATE INDEX operations_by_status ON operations (status, started_at);
CREATE INDEX operations_by_correlation ON operations (correlation_id, started_at)
  WHERE correlation_id IS NOT NULL;
CREATE INDEX operations_by_parent ON operations (parent_id, started_at)
  WHERE parent_id IS NOT NULL;
CREATE INDEX operations_purgeable ON operations (completed_at, id)
  WHERE status = 'Succeeded' OR status = 'Failed' OR status = 'Canceled';
)sql"},
    // A purged operation leaves a tombstone while its events are kept, so its id
    // cannot silently start a new operation that would inherit them. Operations
    // purged before this version left only events: each such id gets a tombstone
    // now, its status and completion from its last kept status event.
    {4, "tombstones of purged operations",
     R"sql(
CREATE TABLE purged_operations (
  id           TEXT PRIMARY KEY NOT NULL,
  name         TEXT NOT NULL,
  status       TEXT CHECK (status IS NULL OR status = 'Succeeded' OR status = 'Failed' OR
                 status = 'Canceled'),
  completed_at INTEGER,
  purged_at    INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO purged_operations (id, name, status, completed_at, purged_at)
SELECT kept.operation_id, '',
       CASE json_extract(last.data_json, '$.to')
         WHEN 'Succeeded' THEN 'Succeeded' WHEN 'Failed' THEN 'Failed'
         WHEN 'Canceled' THEN 'Canceled' END,
       last.occurred_at,
       CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
  FROM (SELECT DISTINCT operation_id FROM operation_events) AS kept
  LEFT JOIN operation_events AS last
    ON last.operation_id = kept.operation_id
   AND last.sequence = (SELECT MAX(s.sequence) FROM operation_events s
                         WHERE s.operation_id = kept.operation_id AND s.kind = 'status')
 WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = kept.operation_id);
)sql"},
    // Stores of millions: every list filter reads one index range in list order
    // (sqlite_queries.hpp). The indexes a list reads all end in (started_at,
    // id), so a page's keyset is a range of the index and ties need no sort; status with name
    // serves a status chip under a name prefix; a tag's rows carry their operation's started_at
    // (which never changes), so a tag lists in time order; and updated_at is indexed for the change
    // feed, which polls it.
    {5, "list indexes for large stores",
     R"sql(
DROP INDEX operations_by_name;
CREATE INDEX operations_by_name ON operations (name, started_at, id);
DROP INDEX operations_by_status;
CREATE INDEX operations_by_status ON operations (status, started_at, id);
CREATE INDEX operations_by_status_name ON operations (status, name, started_at, id);
CREATE INDEX operations_by_updated ON operations (updated_at, id);
DROP INDEX operations_by_correlation;
CREATE INDEX operations_by_correlation ON operations (correlation_id, started_at, id)
  WHERE correlation_id IS NOT NULL;
DROP INDEX operations_by_parent;
CREATE INDEX operations_by_parent ON operations (parent_id, started_at, id)
  WHERE parent_id IS NOT NULL;

ALTER TABLE operation_tags ADD COLUMN started_at INTEGER NOT NULL DEFAULT 0;
UPDATE operation_tags
   SET started_at = (SELECT o.started_at FROM operations o WHERE o.id = operation_tags.operation_id);
DROP INDEX operation_tags_by_key_value;
CREATE INDEX operation_tags_by_time ON operation_tags (key, value, started_at, operation_id);
)sql"},
    // A tag's rows carry their operation's status too (the writer updates them
    // when the status changes), so a tag with a status -- a list page or a
    // bounded count -- is one range of the index, not the tag's whole range
    // filtered: at 1M operations, counting a common tag's statuses read every
    // row of the tag and took seconds.
    {6, "tags carry their operation's status",
     R"sql(
ALTER TABLE operation_tags ADD COLUMN status TEXT NOT NULL DEFAULT '';
UPDATE operation_tags
   SET status = COALESCE((SELECT o.status FROM operations o WHERE o.id = operation_tags.operation_id), '');
DROP INDEX operation_tags_by_time;
CREATE INDEX operation_tags_by_status ON operation_tags (key, value, status, started_at, operation_id);
)sql"},
};

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void rollback_quietly(Connection& connection) noexcept {
  if (connection.in_transaction())
    sqlite3_exec(connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace

int read_schema_version(Connection& connection) {
  auto exists = connection.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!exists.step()) return 0;
  auto version = connection.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!version.step()) return 0;
  return static_cast<int>(version.column_int(0));
}

void check_schema_not_newer(const Connection& connection, int version) {
  if (version <= kLatestSchemaVersion) return;
  throw_store_error(connection.display_name(), "schema version too new",
                    "the file has schema version " + std::to_string(version) +
                        ", but this library knows versions up to " +
                        std::to_string(kLatestSchemaVersion) +
                        "; open it with a newer incursa::platform (the file was not changed)",
                    false);
}

void enable_wal(Connection& connection, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(500);
  for (;;) {
    std::string mode;
    try {
      mode = connection.query_text("PRAGMA journal_mode = WAL");
    } catch (const StoreError& e) {
      if (!e.retryable() || std::chrono::steady_clock::now() >= deadline) throw;
      // The other opener holds the lock only for the switch or the migration:
      // milliseconds. Back off and look again.
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(50000));
      continue;
    }
    if (mode != "wal") {
      throw_store_error(
          connection.display_name(), "cannot switch to WAL mode",
          "journal_mode stayed '" + mode + "' (WAL needs a local file system with shared memory)",
          false);
    }
    return;
  }
}

int migrate(Connection& connection) {
  // A rebuilt table is dropped and replaced (version 3); with foreign keys on,
  // the drop would cascade to operation_tags. The pragma is a no-op inside a
  // transaction, so it goes first; the caller turns them on afterwards.
  connection.exec("PRAGMA foreign_keys = OFF");
  connection.exec("BEGIN IMMEDIATE");
  try {
    // Read again under the write lock: another process may have migrated since
    // the caller's first look.
    int version = read_schema_version(connection);
    check_schema_not_newer(connection, version);
    const int initial = version;
    for (const Migration& migration : kMigrations) {
      if (migration.version <= version) continue;
      connection.exec(migration.sql);
      connection
          .prepare(
              "INSERT INTO schema_version (version, applied_at, description) "
              "VALUES (?1, ?2, ?3)")
          .bind(1, static_cast<std::int64_t>(migration.version))
          .bind(2, now_micros())
          .bind(3, migration.description)
          .run();
      version = migration.version;
    }
    // Nothing a migration did may leave a dangling reference behind (checked
    // only after a migration: it reads every child table).
    if (version != initial && connection.prepare("PRAGMA foreign_key_check").step()) {
      throw_store_error(connection.display_name(), "cannot migrate the schema",
                        "a migration left rows whose parent is missing (rolled back)", false);
    }
    connection.exec("COMMIT");
    return version;
  } catch (...) {
    rollback_quietly(connection);
    throw;
  }
}

}  // namespace incursa::platform::sqlite
