// The SQLite schema and its versioned migrations.
//
// The schema version lives in the `schema_version` table (one row per applied
// migration; the current version is the largest). Migrations run on open, all of
// them in one BEGIN IMMEDIATE transaction, so two processes opening a new file at
// once serialise on the write lock: the first applies them, the second finds the
// work done. A file whose version is newer than this library's is refused before
// anything is written to it.
//
// Thread safety: call with a connection no other thread is using.
// Errors: StoreError (a schema from the future is not retryable).
#pragma once

#include <chrono>

#include "sqlite_connection.hpp"

namespace incursa::platform::sqlite {

// The newest schema version this library knows how to create and use.
inline constexpr int kLatestSchemaVersion = 6;

// The WHERE of the partial index operations_purgeable (version 3). SQLite uses a
// partial index only for a query whose WHERE contains this text's expression, so
// the purge query repeats it verbatim; a test checks it against sqlite_master.
inline constexpr const char* kPurgeableCondition =
    "status = 'Succeeded' OR status = 'Failed' OR status = 'Canceled'";

// The database's schema version without taking the write lock: 0 for a database
// that has no `schema_version` table (a new file, or one that is not ours yet).
// Reading sqlite_master also checks that the file is a database at all.
int read_schema_version(Connection& connection);

// Throws StoreError (not retryable) if `version` is newer than the library knows.
void check_schema_not_newer(const Connection& connection, int version);

// Switches the file to WAL mode (a no-op when it already is). The switch needs
// the exclusive lock while the pragma holds a shared one, a wait SQLite refuses
// to make (it could deadlock), answering SQLITE_BUSY at once instead of calling
// the busy handler. So two processes opening a new file together would fail
// here; this retries with a short backoff until `timeout` has passed.
void enable_wal(Connection& connection, std::chrono::milliseconds timeout);

// Applies every missing migration in one write transaction and returns the
// schema version afterwards. Rolls back and throws on any failure. Leaves
// foreign keys off (a rebuilt table must not cascade): enable them afterwards.
int migrate(Connection& connection);

}  // namespace incursa::platform::sqlite
