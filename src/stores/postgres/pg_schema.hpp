// The schema: its name rules, the versioned migrations, and running them once.
//
// Migrations run in one transaction holding a transaction-scoped advisory lock
// derived from the schema name, so when many processes open a new database at
// once exactly one of them creates the tables and the others find them made.
// Thread safety: pure functions, plus migrate() on a connection the caller owns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pg_connection.hpp"

namespace incursa::platform::postgres {

// Throws ValidationError("schema", …) unless `schema` matches [a-z_][a-z0-9_]{0,62}
// and does not start with "pg_" (reserved by PostgreSQL).
void validate_schema_name(std::string_view schema);

// "\"name\"": always quoted, so a name that is also a keyword stays a name.
std::string quote_identifier(std::string_view validated_name);

// The advisory lock key of a schema's migrations: FNV-1a, stable across builds.
std::int64_t migration_lock_key(std::string_view schema);

int latest_schema_version() noexcept;

// Brings `schema` to latest_schema_version() and returns the version found after.
// Throws PgError: retryable when the server is unreachable; not retryable when
// the schema is newer than this library or the role may not create it.
// `target` (tests only) stops at an older version, to test upgrades.
int migrate(Connection& connection, std::string_view schema, int target = 0);

// The SQL of migration `version` (1-based) for `schema`, for docs and tests.
std::string migration_sql(int version, std::string_view schema);

}  // namespace incursa::platform::postgres
