// postgresql:// URIs: the store's own query parameters taken out, the rest left
// for libpq; and the secrets of a connection string, to keep them out of messages.
//
// Pure functions; thread-safe. Errors: ValidationError (field "store_uri").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/stores/postgres_store.hpp"

namespace incursa::platform::postgres {

// "postgresql://…" or "postgres://…" → options. Store parameters: schema,
// pool_size, statement_timeout_ms, use_database_clock. The conninfo keeps every
// other parameter, in order, and is checked with libpq's own parser.
PostgresStoreOptions parse_store_uri(std::string_view uri);

// Throws ValidationError("conninfo", …) if libpq cannot parse `conninfo`.
void check_conninfo(const std::string& conninfo);

// The password in `conninfo`, if it has one (to scrub it from messages).
std::string conninfo_password(const std::string& conninfo);

// `text` with every occurrence of `secret` replaced by "***".
std::string redact(std::string text, const std::string& secret);

}  // namespace incursa::platform::postgres
