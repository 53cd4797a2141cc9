#include "sqlite_rows.hpp"

#include <chrono>
#include <exception>
#include <string>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/operation_status.hpp"

namespace incursa::platform::sqlite {

namespace {

template <class F>
auto decode(std::string_view display_name, std::string_view what, const std::string& id, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw_store_error(display_name, "unreadable " + std::string(what) + " '" + id + "'",
                      std::string(e.what()) + " (the data in the file is damaged or foreign)",
                      false);
  }
}

std::optional<Timestamp> opt_time(const Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return from_micros(row.column_int(column));
}

}  // namespace

std::int64_t to_micros(Timestamp t) noexcept {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::int64_t to_micros_ceil(Timestamp t) noexcept {
  return std::chrono::ceil<std::chrono::microseconds>(t.time_since_epoch()).count();
}

Timestamp from_micros(std::int64_t micros) noexcept {
  return Timestamp(
      std::chrono::duration_cast<Timestamp::duration>(std::chrono::microseconds(micros)));
}

OperationSnapshot read_operation(const Statement& row, std::string_view display_name) {
  const std::string raw_id = row.column_text(0);
  return decode(display_name, "operation", raw_id, [&] {
    // Designated initialisation: ids have no empty state to default-construct.
    OperationSnapshot s{.id = OperationId::parse(raw_id), .name = row.column_text(1)};
    s.status = parse_operation_status(row.column_text(2));
    s.started_at = from_micros(row.column_int(3));
    s.updated_at = from_micros(row.column_int(4));
    s.last_progress_at = from_micros(row.column_int(5));
    s.completed_at = opt_time(row, 6);
    s.percent = row.column_opt_double(7);
    s.message = row.column_opt_text(8);
    if (!row.is_null(9)) {
      s.progress = StructuredProgress{row.column_int(9), row.column_opt_int(10),
                                      row.column_opt_text(11).value_or(std::string())};
    }
    if (auto json = row.column_opt_text(12)) s.correlation = correlation_from_json(*json);
    if (auto parent = row.column_opt_text(13)) s.parent_id = OperationId::parse(*parent);
    // "{}" (no tags, the common case) needs no JSON parser.
    if (auto json = row.column_opt_text(14); json && *json != "{}") s.tags = tags_from_json(*json);
    s.cancel_requested_at = opt_time(row, 15);
    s.cancel_reason = row.column_opt_text(16);
    s.stall_count = row.column_int(17);
    s.version = row.column_int(18);
    return s;
  });
}

OperationEvent read_event(const Statement& row, std::string_view display_name) {
  const std::string raw_id = row.column_text(0);
  return decode(display_name, "event of operation", raw_id, [&] {
    OperationEvent e{.operation_id = OperationId::parse(raw_id)};
    e.sequence = row.column_int(1);
    e.occurred_at = from_micros(row.column_int(2));
    e.kind = row.column_text(3);
    e.message = row.column_opt_text(4);
    e.data_json = row.column_opt_text(5);
    e.key = row.column_text(6);
    return e;
  });
}

}  // namespace incursa::platform::sqlite
