#include "sqlite_audit.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>
#include <limits>
#include <string>

#include "incursa/platform/operations/operation_json.hpp"
#include "sqlite_rows.hpp"
#include "sqlite_sql_builder.hpp"

namespace incursa::platform::sqlite {

namespace {

constexpr const char* kInsertAuditEvent =
    "INSERT INTO audit_events (id, occurred_at, name, display_message, outcome, anchors_json, "
    "data_json, actor_type, actor_id, actor_display, correlation_id, correlation_json) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING";

constexpr const char* kInsertAnchor =
    "INSERT INTO audit_anchors (event_id, position, type, anchor_id, role) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";

constexpr const char* kAuditColumns =
    "id, occurred_at, name, display_message, outcome, anchors_json, data_json, actor_type, "
    "actor_id, actor_display, correlation_json";

std::string anchors_to_json(const std::vector<EventAnchor>& anchors) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& a : anchors) array.push_back({{"type", a.type}, {"id", a.id}, {"role", a.role}});
  return array.dump();
}

std::vector<EventAnchor> anchors_from_json(const std::string& text) {
  std::vector<EventAnchor> anchors;
  for (const auto& a : nlohmann::json::parse(text)) {
    anchors.push_back(EventAnchor{a.at("type").get<std::string>(), a.at("id").get<std::string>(),
                                  a.at("role").get<std::string>()});
  }
  return anchors;
}

AuditEvent read_audit_event(const Statement& row, std::string_view display_name) {
  const std::string raw_id = row.column_text(0);
  try {
    AuditEvent e{.id = AuditEventId::parse(raw_id),
                 .occurred_at = from_micros(row.column_int(1)),
                 .name = row.column_text(2),
                 .display_message = row.column_text(3),
                 .outcome = parse_event_outcome(row.column_text(4)),
                 .anchors = anchors_from_json(row.column_text(5)),
                 .data_json = row.column_opt_text(6)};
    if (auto type = row.column_opt_text(7)) {
      e.actor = AuditActor{*type, row.column_text(8), row.column_opt_text(9)};
    }
    if (auto json = row.column_opt_text(10)) e.correlation = correlation_from_json(*json);
    return e;
  } catch (const std::exception& error) {
    throw_store_error(display_name, "unreadable audit event '" + raw_id + "'",
                      std::string(error.what()) + " (the data in the file is damaged or foreign)",
                      false);
  }
}

}  // namespace

bool insert_audit_event(Connection& c, const AuditEvent& e) {
  auto insert = c.prepare(kInsertAuditEvent);
  insert.bind(1, e.id.value())
      .bind(2, to_micros(e.occurred_at))
      .bind(3, e.name)
      .bind(4, e.display_message)
      .bind(5, to_string(e.outcome))
      .bind(6, anchors_to_json(e.anchors))
      .bind(7, e.data_json);
  if (e.actor) {
    insert.bind(8, e.actor->type).bind(9, e.actor->id).bind(10, e.actor->display);
  } else {
    insert.bind_null(8).bind_null(9).bind_null(10);
  }
  if (e.correlation) {
    insert.bind(11, e.correlation->correlation_id.value()).bind(12, to_json(*e.correlation));
  } else {
    insert.bind_null(11).bind_null(12);
  }
  insert.run();
  if (c.changes() == 0) return false;
  std::int64_t position = 0;
  for (const EventAnchor& a : e.anchors) {
    c.prepare(kInsertAnchor)
        .bind(1, e.id.value())
        .bind(2, position++)
        .bind(3, a.type)
        .bind(4, a.id)
        .bind(5, a.role)
        .run();
  }
  return true;
}

std::vector<AuditEvent> select_audit_events(Connection& c, const AuditQuery& query) {
  if (query.limit == 0) return {};
  // The SQL form of matches(query, event) (audit_event.hpp), the reference.
  SqlBuilder q;
  q.sql("SELECT ").sql(kAuditColumns).sql(" FROM audit_events");
  if (query.from) q.where().sql("occurred_at >= ").value(to_micros_ceil(*query.from));
  if (query.to) q.where().sql("occurred_at < ").value(to_micros_ceil(*query.to));
  if (query.name) {
    const std::string& name = *query.name;
    if (!name.empty() && name.back() == '*') {
      q.where().starts_with("name", name.substr(0, name.size() - 1));
    } else {
      q.where().sql("name = ").value(name);
    }
  }
  if (query.correlation_id) {
    q.where().sql("correlation_id = ").value(query.correlation_id->value());
  }
  if (query.before) {
    // Keyset cursor: strictly older than `before` in (occurred_at, id) order. For
    // a cursor time between two whole microseconds the first test alone decides
    // (the floor is below the ceiling), so both bounds stay exact.
    q.where()
        .sql("(occurred_at < ")
        .value(to_micros_ceil(query.before->occurred_at))
        .sql(" OR (occurred_at = ")
        .value(to_micros(query.before->occurred_at))
        .sql(" AND id < ")
        .value(query.before->id.value())
        .sql("))");
  }
  if (!query.anchors.empty()) {
    q.where().sql("id IN (SELECT event_id FROM audit_anchors WHERE ");
    bool first = true;
    for (const EventAnchor& want : query.anchors) {
      q.sql(first ? "(" : " OR (").sql("type = ").value(want.type);
      q.sql(" AND anchor_id = ").value(want.id);
      if (!want.role.empty()) q.sql(" AND role = ").value(want.role);
      q.sql(")");
      first = false;
    }
    q.sql(")");
  }
  q.sql(" ORDER BY occurred_at DESC, id DESC LIMIT ")
      .value(static_cast<std::int64_t>(std::min<std::size_t>(
          query.limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
  auto rows = c.prepare(q.text());
  q.bind_all(rows);
  std::vector<AuditEvent> events;
  while (rows.step()) events.push_back(read_audit_event(rows, c.display_name()));
  return events;
}

}  // namespace incursa::platform::sqlite
