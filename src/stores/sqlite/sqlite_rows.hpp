// Mapping between SQLite rows and the library's values.
//
// Timestamps are INTEGER microseconds since the Unix epoch; statuses are their
// exact words; tags and correlation are JSON text (operation_json.hpp), with the
// correlation id and the tags also spread into indexed columns and rows.
//
// Errors: a row that cannot be read back (bad id, unknown status, broken JSON) is
// a StoreError, not retryable: the data in the file is damaged or foreign.
#pragma once

#include <cstdint>
#include <string_view>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"
#include "sqlite_connection.hpp"

namespace incursa::platform::sqlite {

// Floors to whole microseconds (the precision stored).
std::int64_t to_micros(Timestamp t) noexcept;
// Rounds up: for a whole-microsecond b, b < t exactly when b < to_micros_ceil(t).
std::int64_t to_micros_ceil(Timestamp t) noexcept;
Timestamp from_micros(std::int64_t micros) noexcept;
// What a timestamp reads back as after a round trip through the file.
inline Timestamp stored(Timestamp t) noexcept { return from_micros(to_micros(t)); }

// The operation columns, in the order read_operation expects them, so every
// SELECT of an operation shares one spelling. The last one is last_sequence.
#define INCURSA_SQLITE_OPERATION_COLUMNS                                                    \
  "id, name, status, started_at, updated_at, last_progress_at, completed_at, percent, "     \
  "message, progress_current, progress_total, progress_unit, correlation_json, parent_id, " \
  "tags_json, cancel_requested_at, cancel_reason, stall_count, version, last_sequence"

inline constexpr int kLastSequenceColumn = 19;

// Reads the row under `row`'s cursor, selected with INCURSA_SQLITE_OPERATION_COLUMNS.
OperationSnapshot read_operation(const Statement& row, std::string_view display_name);

#define INCURSA_SQLITE_EVENT_COLUMNS \
  "operation_id, sequence, occurred_at, kind, message, data_json, key"

OperationEvent read_event(const Statement& row, std::string_view display_name);

}  // namespace incursa::platform::sqlite
