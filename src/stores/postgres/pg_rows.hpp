// Values between C++ and PostgreSQL's text format, and rows to snapshots/events.
//
// Timestamps travel as text in UTC ("YYYY-MM-DD HH:MM:SS.ffffff+00"): exact to the
// microsecond both ways (the connection sets TimeZone UTC and DateStyle ISO),
// unlike epoch arithmetic through float8. Pure functions; thread-safe.
// Errors: the parse_* functions throw PgError (not retryable) on text the server
// would never send, which means a foreign or damaged schema.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/operations/operation_snapshot.hpp"
#include "pg_connection.hpp"

namespace incursa::platform::postgres {

// Rounded down to whole microseconds: for values the store writes (the tracker
// already truncates them).
std::string format_timestamp(Timestamp t);
// Rounded up: for a bound in `column < bound` or `column >= bound`. Stored values
// are whole microseconds, so for any bound b, `x < b` ⟺ `x < ceil(b)`; rounding
// down instead would drop the rows between floor(b) and b.
std::string format_bound(Timestamp t);
// True if `t` is a whole number of microseconds.
bool whole_micros(Timestamp t) noexcept;
Timestamp parse_timestamp(std::string_view text);

std::string format_double(double value);
double parse_double(std::string_view text);
std::int64_t parse_int64(std::string_view text);

// "{"a","b",NULL}": a PostgreSQL array literal of quoted text elements.
std::string text_array(const std::vector<std::optional<std::string>>& elements);

// An interval literal of whole microseconds ("123 microseconds").
std::string interval_micros(std::chrono::microseconds age);

// The columns every snapshot query selects, in this order, each prefixed with
// `prefix` ("o." for the table, "(t.op)." for a function's row).
std::string snapshot_columns(std::string_view prefix);
inline constexpr int kSnapshotColumnCount = 19;
OperationSnapshot snapshot_from_row(const Result& result, int row, int first_column);

// operation_id, sequence, occurred_at, kind, message, data_json, event_key.
std::string event_columns(std::string_view prefix);
OperationEvent event_from_row(const Result& result, int row, int first_column);

}  // namespace incursa::platform::postgres
