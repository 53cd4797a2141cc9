#include "sqlite_retention.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <string>

#include "incursa/platform/operations/store_support.hpp"
#include "sqlite_operations.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_schema.hpp"
#include "sqlite_sql_builder.hpp"

namespace incursa::platform::sqlite {

std::vector<PurgeCandidate> select_purgeable(Connection& c, const PurgeRequest& request) {
  std::vector<PurgeCandidate> found;
  if (request.limit == 0) return found;
  SqlBuilder q;
  // SQLite uses a partial index only when the query's WHERE literally contains
  // the index's own condition, so kPurgeableCondition is spelled out here exactly
  // as in operations_purgeable (schema version 3), which holds only finished
  // operations, in completion order.
  q.sql("SELECT " INCURSA_SQLITE_OPERATION_COLUMNS
        ", (SELECT COUNT(*) FROM operation_events e WHERE e.operation_id = operations.id)"
        " FROM operations INDEXED BY operations_purgeable WHERE (")
      .sql(kPurgeableCondition)
      .sql(") AND (");
  bool any = false;
  for (const auto status :
       {OperationStatus::Succeeded, OperationStatus::Failed, OperationStatus::Canceled}) {
    const auto cutoff = purge_cutoff(request, status);
    if (!cutoff) continue;  // kept forever
    q.sql(any ? " OR " : "")
        .sql("(status = ")
        .value(std::string(to_string(status)))
        .sql(" AND completed_at < ")
        .value(to_micros_ceil(*cutoff))
        .sql(")");
    any = true;
  }
  if (!any) return found;
  q.sql(") ORDER BY completed_at, id LIMIT ").value(clamp_limit(request.limit));
  auto rows = c.prepare(q.text());
  q.bind_all(rows);
  while (rows.step()) {
    found.push_back(PurgeCandidate{read_operation(rows, c.display_name()),
                                   rows.column_int(kLastSequenceColumn + 1)});
  }
  return found;
}

std::vector<OperationId> delete_purgeable(Connection& c, const std::vector<OperationId>& ids,
                                          const PurgeRequest& request) {
  std::vector<OperationId> deleted;
  for (const OperationId& id : ids) {
    // Checked again under the write lock: still finished, still old enough.
    const auto snapshot = select_operation(c, id);
    if (!snapshot || !is_purgeable(*snapshot, request)) continue;
    // The tombstone first, while the row is there to copy, and only if the
    // operation has events left to guard.
    c.prepare(
         "INSERT OR REPLACE INTO purged_operations (id, name, status, completed_at, purged_at) "
         "SELECT id, name, status, completed_at, ?2 FROM operations WHERE id = ?1 "
         "AND EXISTS (SELECT 1 FROM operation_events WHERE operation_id = ?1)")
        .bind(1, id.value())
        .bind(2, to_micros(request.now))
        .run();
    // operation_tags rows go with it (ON DELETE CASCADE); events stay.
    c.prepare("DELETE FROM operations WHERE id = ?1").bind(1, id.value()).run();
    deleted.push_back(id);
  }
  return deleted;
}

std::size_t delete_old_events(Connection& c, Timestamp cutoff, std::size_t limit) {
  if (limit == 0) return 0;
  // Never an event of an open operation: only of finished or deleted ones.
  auto deleted = c.prepare(
      "DELETE FROM operation_events WHERE (operation_id, sequence) IN ("
      "SELECT e.operation_id, e.sequence FROM operation_events e"
      " WHERE e.occurred_at < ?1 AND NOT EXISTS (SELECT 1 FROM operations o"
      " WHERE o.id = e.operation_id AND o.status IN ('Pending','Running','Stalled'))"
      " LIMIT ?2) RETURNING operation_id");
  deleted.bind(1, to_micros_ceil(cutoff)).bind(2, clamp_limit(limit));
  std::size_t count = 0;
  std::set<std::string> touched;
  while (deleted.step()) {
    ++count;
    touched.insert(deleted.column_text(0));
  }
  // A tombstone lives as long as its operation's events: the last one gone, so
  // is it, and the id is free for a new operation.
  for (const std::string& id : touched) {
    c.prepare(
         "DELETE FROM purged_operations WHERE id = ?1 "
         "AND NOT EXISTS (SELECT 1 FROM operation_events WHERE operation_id = ?1)")
        .bind(1, id)
        .run();
  }
  return count;
}

std::optional<PurgedOperation> select_purged(Connection& c, const OperationId& id) {
  // A tombstone counts only while its operation has events: the same rule on
  // every store, whatever order the two are removed in.
  auto row = c.prepare(
      "SELECT name, status, completed_at, purged_at FROM purged_operations WHERE id = ?1 "
      "AND EXISTS (SELECT 1 FROM operation_events WHERE operation_id = ?1)");
  row.bind(1, id.value());
  if (!row.step()) return std::nullopt;
  PurgedOperation purged{.id = id, .name = row.column_text(0)};
  if (const auto status = row.column_opt_text(1)) purged.status = parse_operation_status(*status);
  if (const auto completed = row.column_opt_int(2)) purged.completed_at = from_micros(*completed);
  purged.purged_at = from_micros(row.column_int(3));
  return purged;
}

}  // namespace incursa::platform::sqlite
