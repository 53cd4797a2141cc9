#include "sqlite_operations.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <string>
#include <utility>

#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/store_support.hpp"
#include "sqlite_queries.hpp"
#include "sqlite_retention.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_sql_builder.hpp"

namespace incursa::platform::sqlite {

namespace {

constexpr const char* kSelectOperation =
    "SELECT " INCURSA_SQLITE_OPERATION_COLUMNS " FROM operations WHERE id = ?1";

// ?21 is last_sequence: 1 for a new operation, the highest event's for a restore.
constexpr const char* kInsertOperation =
    "INSERT INTO operations (id, name, status, started_at, updated_at, last_progress_at, "
    "completed_at, percent, message, progress_current, progress_total, progress_unit, "
    "correlation_id, correlation_json, parent_id, tags_json, cancel_requested_at, "
    "cancel_reason, stall_count, version, last_sequence) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21) ON CONFLICT (id) DO NOTHING";

constexpr const char* kHasEvents =
    "SELECT EXISTS (SELECT 1 FROM operation_events WHERE operation_id = ?1)";

constexpr const char* kIdTaken =
    "SELECT EXISTS (SELECT 1 FROM operations WHERE id = ?1) OR "
    "EXISTS (SELECT 1 FROM operation_events WHERE operation_id = ?1)";

constexpr const char* kInsertTag =
    "INSERT INTO operation_tags (operation_id, key, value, started_at, status) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";

// A tag's rows carry their operation's status (schema version 6).
constexpr const char* kUpdateTagStatus =
    "UPDATE operation_tags SET status = ?2 WHERE operation_id = ?1";

constexpr const char* kInsertEvent =
    "INSERT INTO operation_events (operation_id, sequence, occurred_at, kind, message, "
    "data_json, key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

// Conditioned on the status and version read in the same transaction. The write
// lock already excludes other writers; the condition makes the from-state part of
// the statement itself, so a broken assumption shows as "0 rows changed" instead
// of a silently overwritten row.
constexpr const char* kUpdateOperation =
    "UPDATE operations SET status = ?3, updated_at = ?4, last_progress_at = ?5, "
    "completed_at = ?6, percent = ?7, message = ?8, progress_current = ?9, "
    "progress_total = ?10, progress_unit = ?11, cancel_requested_at = ?12, cancel_reason = ?13, "
    "stall_count = ?14, version = ?15, last_sequence = ?16 "
    "WHERE id = ?1 AND version = ?2 AND status = ?17";

// The same for a write that keeps the status and everything a status change
// sets (progress, heartbeats, events): SQLite maintains only the indexes whose
// columns a statement assigns, so leaving out status, completed_at and the cancel
// and stall columns spares operations_by_status and operations_purgeable an
// index delete and insert on the most frequent write.
constexpr const char* kUpdateActivity =
    "UPDATE operations SET updated_at = ?3, last_progress_at = ?4, percent = ?5, message = ?6, "
    "progress_current = ?7, progress_total = ?8, progress_unit = ?9, version = ?10, "
    "last_sequence = ?11 WHERE id = ?1 AND version = ?2";

constexpr const char* kSelectEvents =
    "SELECT " INCURSA_SQLITE_EVENT_COLUMNS
    " FROM operation_events WHERE operation_id = ?1 AND sequence > ?2 "
    "ORDER BY sequence LIMIT ?3";

}  // namespace

std::vector<const char*> write_path_statements() {
  return {kInsertOperation, kUpdateOperation, kUpdateActivity, kInsertEvent,
          kInsertTag,       kUpdateTagStatus, kSelectOperation};
}

namespace {

std::optional<std::int64_t> opt_micros(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return to_micros(*t);
}

struct LoadedOperation {
  OperationSnapshot snapshot;
  std::int64_t last_sequence;
};

std::optional<LoadedOperation> load(Connection& c, const OperationId& id) {
  auto row = c.prepare(kSelectOperation);
  row.bind(1, id.value());
  if (!row.step()) return std::nullopt;
  return LoadedOperation{read_operation(row, c.display_name()),
                         row.column_int(kLastSequenceColumn)};
}

OperationEvent write_event(Connection& c, const OperationId& id, std::int64_t sequence,
                           const NewEvent& event) {
  OperationEvent written{.operation_id = id,
                         .sequence = sequence,
                         .occurred_at = stored(event.occurred_at),
                         .kind = event.kind,
                         .message = event.message,
                         .data_json = event.data_json,
                         .key = event.key};
  c.prepare(kInsertEvent)
      .bind(1, id.value())
      .bind(2, sequence)
      .bind(3, to_micros(written.occurred_at))
      .bind(4, written.kind)
      .bind(5, written.message)
      .bind(6, written.data_json)
      .bind(7, written.key)
      .run();
  return written;
}

// What the row will read back as: the file keeps whole microseconds.
void normalize_times(OperationSnapshot& s) noexcept {
  s.updated_at = stored(s.updated_at);
  s.last_progress_at = stored(s.last_progress_at);
  if (s.completed_at) s.completed_at = stored(*s.completed_at);
  if (s.cancel_requested_at) s.cancel_requested_at = stored(*s.cancel_requested_at);
}

std::vector<OperationSnapshot> select_operations(Connection& c, const SqlBuilder& q) {
  auto rows = c.prepare(q.text());
  q.bind_all(rows);
  std::vector<OperationSnapshot> result;
  while (rows.step()) result.push_back(read_operation(rows, c.display_name()));
  return result;
}

}  // namespace

namespace {

// Binds op's structured progress (current, total, unit) from parameter `first` on.
void bind_progress(Statement& statement, int first, const OperationSnapshot& op) {
  if (op.progress) {
    statement.bind(first, op.progress->current)
        .bind(first + 1, op.progress->total)
        .bind(first + 2, op.progress->unit);
  } else {
    statement.bind_null(first).bind_null(first + 1).bind_null(first + 2);
  }
}

// Inserts the row unless the id is taken; true if it was written. The tags'
// rows are the caller's to add.
bool insert_row(Connection& c, const OperationSnapshot& op, std::int64_t last_sequence) {
  const std::string tags_json = to_json(op.tags);
  std::optional<std::string> correlation_id;
  std::optional<std::string> correlation_json;
  if (op.correlation) {
    correlation_id = op.correlation->correlation_id.value();
    correlation_json = to_json(*op.correlation);
  }
  std::optional<std::string> parent_id;
  if (op.parent_id) parent_id = op.parent_id->value();

  auto insert = c.prepare(kInsertOperation);
  insert.bind(1, op.id.value())
      .bind(2, op.name)
      .bind(3, to_string(op.status))
      .bind(4, to_micros(op.started_at))
      .bind(5, to_micros(op.updated_at))
      .bind(6, to_micros(op.last_progress_at))
      .bind(7, opt_micros(op.completed_at))
      .bind(8, op.percent)
      .bind(9, op.message);
  bind_progress(insert, 10, op);
  insert.bind(13, correlation_id)
      .bind(14, correlation_json)
      .bind(15, parent_id)
      .bind(16, tags_json)
      .bind(17, opt_micros(op.cancel_requested_at))
      .bind(18, op.cancel_reason)
      .bind(19, op.stall_count)
      .bind(20, op.version)
      .bind(21, last_sequence)
      .run();
  return c.changes() != 0;
}

void insert_tags(Connection& c, const OperationSnapshot& op) {
  for (const auto& [key, value] : op.tags) {
    c.prepare(kInsertTag)
        .bind(1, op.id.value())
        .bind(2, key)
        .bind(3, value)
        .bind(4, to_micros(op.started_at))
        .bind(5, to_string(op.status))
        .run();
  }
}

}  // namespace

InsertResult insert_operation(Connection& c, const OperationSnapshot& op,
                              const NewEvent& created_event) {
  // A tombstone means no row and kept events: the id is not free yet.
  if (auto purged = select_purged(c, op.id)) return {false, {}, std::move(purged)};
  if (!insert_row(c, op, 1)) {
    // The id is taken. We hold the write lock, so the row we read is the one
    // that won, and it stays that way until we commit.
    auto existing = load(c, op.id);
    if (!existing) {
      throw_store_error(c.display_name(), "inserting operation '" + op.id.value() + "'",
                        "the insert conflicted but no row was found", true);
    }
    return InsertResult{.created = false, .snapshot = std::move(existing->snapshot)};
  }

  insert_tags(c, op);
  write_event(c, op.id, 1, created_event);

  // What get() will return, without reading the row back: the times as stored
  // (whole microseconds) and the correlation as its JSON column decodes.
  OperationSnapshot created = op;
  created.started_at = stored(created.started_at);
  normalize_times(created);
  if (created.correlation) created.correlation = correlation_from_json(to_json(*op.correlation));
  return InsertResult{.created = true, .snapshot = std::move(created)};
}

bool id_taken(Connection& c, const OperationId& id) {
  auto taken = c.prepare(kIdTaken);
  taken.bind(1, id.value());
  return taken.step() && taken.column_int(0) != 0;
}

bool restore_operation(Connection& c, const OperationSnapshot& op,
                       const std::vector<OperationEvent>& events) {
  // Events kept from a purged operation with this id (it has a tombstone) count
  // as taken: the restored history would mix with theirs.
  auto kept = c.prepare(kHasEvents);
  kept.bind(1, op.id.value());
  if (kept.step() && kept.column_int(0) != 0) return false;

  std::int64_t last_sequence = 0;
  for (const OperationEvent& e : events) last_sequence = std::max(last_sequence, e.sequence);
  if (!insert_row(c, op, last_sequence)) return false;
  insert_tags(c, op);
  for (const OperationEvent& e : events) {
    write_event(c, op.id, e.sequence,
                NewEvent{.occurred_at = e.occurred_at,
                         .kind = e.kind,
                         .message = e.message,
                         .data_json = e.data_json,
                         .key = e.key});
  }
  return true;
}

namespace {

// Whether `next` differs from `current` only in what kUpdateActivity assigns.
bool keeps_status(const OperationSnapshot& current, const OperationSnapshot& next) {
  return next.status == current.status && next.completed_at == current.completed_at &&
         next.cancel_requested_at == current.cancel_requested_at &&
         next.cancel_reason == current.cancel_reason && next.stall_count == current.stall_count;
}

void update_activity(Connection& c, const OperationSnapshot& current, const OperationSnapshot& next,
                     std::int64_t last_sequence) {
  auto update = c.prepare(kUpdateActivity);
  update.bind(1, next.id.value())
      .bind(2, current.version)
      .bind(3, to_micros(next.updated_at))
      .bind(4, to_micros(next.last_progress_at))
      .bind(5, next.percent)
      .bind(6, next.message);
  bind_progress(update, 7, next);
  update.bind(10, next.version).bind(11, last_sequence).run();
}

void update_all(Connection& c, const OperationSnapshot& current, const OperationSnapshot& next,
                std::int64_t last_sequence) {
  auto update = c.prepare(kUpdateOperation);
  update.bind(1, next.id.value())
      .bind(2, current.version)
      .bind(3, to_string(next.status))
      .bind(4, to_micros(next.updated_at))
      .bind(5, to_micros(next.last_progress_at))
      .bind(6, opt_micros(next.completed_at))
      .bind(7, next.percent)
      .bind(8, next.message);
  bind_progress(update, 9, next);
  update.bind(12, opt_micros(next.cancel_requested_at))
      .bind(13, next.cancel_reason)
      .bind(14, next.stall_count)
      .bind(15, next.version)
      .bind(16, last_sequence)
      .bind(17, to_string(current.status))
      .run();
}

void update_tag_status(Connection& c, const OperationSnapshot& next) {
  c.prepare(kUpdateTagStatus).bind(1, next.id.value()).bind(2, to_string(next.status)).run();
}

}  // namespace

TransitionResult apply_transition(Connection& c, const TransitionRequest& request) {
  auto loaded = load(c, request.id);
  if (!loaded) return TransitionResult{.outcome = TransitionOutcome::NotFound};
  OperationSnapshot& current = loaded->snapshot;

  if (!request.allowed_from.contains(current.status)) {
    return TransitionResult{.outcome = TransitionOutcome::Rejected, .snapshot = std::move(current)};
  }
  if (request.only_if_stale && !is_stale(current, *request.only_if_stale)) {
    return TransitionResult{.outcome = TransitionOutcome::NotStale, .snapshot = std::move(current)};
  }

  // The field rules are the core's (shared with every store, so they agree byte
  // for byte); this function only persists their result.
  OperationSnapshot next = current;
  const std::vector<NewEvent> to_append = apply_changes(next, request);
  normalize_times(next);
  const std::int64_t last_sequence =
      loaded->last_sequence + static_cast<std::int64_t>(to_append.size());

  if (keeps_status(current, next)) {
    update_activity(c, current, next, last_sequence);
  } else {
    update_all(c, current, next, last_sequence);
  }
  if (c.changes() != 1) {
    throw_store_error(c.display_name(), "updating operation '" + request.id.value() + "'",
                      "the row changed between read and write inside one transaction", true);
  }
  if (next.status != current.status && !next.tags.empty()) update_tag_status(c, next);

  TransitionResult result{.outcome = TransitionOutcome::Applied};
  result.appended.reserve(to_append.size());
  std::int64_t sequence = loaded->last_sequence;
  for (const NewEvent& event : to_append) {
    result.appended.push_back(write_event(c, next.id, ++sequence, event));
  }
  result.snapshot = std::move(next);
  return result;
}

std::optional<OperationSnapshot> select_operation(Connection& c, const OperationId& id) {
  auto loaded = load(c, id);
  if (!loaded) return std::nullopt;
  return std::move(loaded->snapshot);
}

std::vector<OperationEvent> select_events(Connection& c, const OperationId& id,
                                          std::int64_t after_sequence, std::size_t limit) {
  std::vector<OperationEvent> events;
  if (limit == 0) return events;
  auto rows = c.prepare(kSelectEvents);
  rows.bind(1, id.value()).bind(2, after_sequence).bind(3, clamp_limit(limit));
  while (rows.step()) events.push_back(read_event(rows, c.display_name()));
  return events;
}

SqlBuilder stale_query(const StaleQuery& query) {
  const bool activity = query.basis == ActivityBasis::Activity;
  const std::string column = activity ? "updated_at" : "last_progress_at";
  const StatusSet scannable{OperationStatus::Pending, OperationStatus::Running};
  SqlBuilder q;
  q.sql("SELECT " INCURSA_SQLITE_OPERATION_COLUMNS " FROM operations");
  if ((query.statuses.bits() & ~scannable.bits()) == 0) {
    // SQLite uses a partial index only when the WHERE clause literally implies
    // the index's own WHERE, so the status list is spelled out, not bound. The
    // planner, lacking statistics, would still prefer operations_by_status and
    // sort every stale row, hence INDEXED BY (which also fails loudly at prepare
    // time should the index ever go missing).
    q.sql(activity ? " INDEXED BY operations_stale_by_activity"
                   : " INDEXED BY operations_stale_by_progress");
    q.where().sql("status IN ('Pending','Running')");
    if (query.statuses != scannable) {
      q.sql(" AND status = ")
          .value(std::string(to_string(query.statuses.contains(OperationStatus::Pending)
                                           ? OperationStatus::Pending
                                           : OperationStatus::Running)));
    }
  } else {
    // Any other set (Stalled, terminal statuses) has no partial index to use.
    append_status_in(q.where(), "status", query.statuses);
  }
  q.where().sql(column).sql(" < ").value(to_micros_ceil(query.cutoff));
  if (query.name_prefix) q.where().starts_with("name", *query.name_prefix);
  for (const std::string& excluded : query.exclude_name_prefixes) {
    q.where().sql("NOT ").starts_with("name", excluded);
  }
  q.sql(" ORDER BY ").sql(column).sql(", id LIMIT ").value(clamp_limit(query.limit));
  return q;
}

std::vector<OperationSnapshot> select_stale(Connection& c, const StaleQuery& query) {
  if (query.statuses.empty() || query.limit == 0) return {};
  return select_operations(c, stale_query(query));
}

}  // namespace incursa::platform::sqlite
