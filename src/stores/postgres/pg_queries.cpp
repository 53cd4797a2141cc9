#include "pg_queries.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json.hpp"
#include "pg_rows.hpp"
#include "pg_statements.hpp"

namespace incursa::platform::postgres {

namespace {

// The largest code point: any string that starts with `prefix` sorts below
// prefix + U+10FFFF (in the C collation the columns use), so a prefix becomes
// an index range; starts_with() then keeps the match exact.
constexpr const char* kMaxCodePoint = "\xF4\x8F\xBF\xBF";

std::string limit_text(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return std::to_string(std::min(limit, kMax));
}

// Collects WHERE conditions and their parameters, and a name for the shape.
class Conditions {
 public:
  // Binds `value` and returns its placeholder ("$3").
  std::string bind(std::optional<std::string> value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  }
  void add(const std::string& condition, char shape_letter) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
    shape.push_back(shape_letter);
  }

  std::string where;
  std::string shape;
  Params params;
};

void add_filter(Conditions& c, const std::string& schema, const OperationFilter& f) {
  if (!f.statuses.empty()) {
    std::vector<std::optional<std::string>> names;
    for (int i = 0; i < kOperationStatusCount; ++i) {
      const auto s = static_cast<OperationStatus>(i);
      if (f.statuses.contains(s)) names.emplace_back(std::string(to_string(s)));
    }
    if (names.size() == 1) {
      // One status as an equality, so operations_status_started_idx (status,
      // started_at, id) returns a list page in order without sorting every row
      // in that status; "= ANY" over a one-element array does not get that plan.
      c.add("o.status = " + c.bind(names.front()) + "::text", 'S');
    } else {
      c.add("o.status = ANY (" + c.bind(text_array(names)) + "::text[])", 's');
    }
  }
  if (f.name) c.add("o.name = " + c.bind(*f.name) + "::text", 'n');
  if (f.name_prefix) {
    const std::string p = c.bind(*f.name_prefix);
    c.add("o.name >= " + p + "::text AND o.name < " + c.bind(*f.name_prefix + kMaxCodePoint) +
              "::text AND starts_with(o.name, " + p + "::text)",
          'p');
  }
  if (!f.tags.empty()) {
    // operation_tags holds the tags of every operation that has any (schema v3).
    c.add("o.id IN (SELECT t.operation_id FROM " + schema + ".operation_tags t WHERE t.tags @> " +
              c.bind(to_json(f.tags)) + "::jsonb)",
          't');
  }
  if (f.correlation_id) {
    c.add("(o.correlation ->> 'correlation_id') = " + c.bind(f.correlation_id->value()) + "::text",
          'c');
  }
  if (f.parent_id) c.add("o.parent_id = " + c.bind(f.parent_id->value()) + "::text", 'r');
  if (f.started_from) {
    c.add("o.started_at >= " + c.bind(format_bound(*f.started_from)) + "::timestamptz", 'a');
  }
  if (f.started_to) {
    c.add("o.started_at < " + c.bind(format_bound(*f.started_to)) + "::timestamptz", 'b');
  }
  if (f.updated_from) {
    c.add("o.updated_at >= " + c.bind(format_bound(*f.updated_from)) + "::timestamptz", 'u');
  }
  if (f.updated_to) {
    c.add("o.updated_at < " + c.bind(format_bound(*f.updated_to)) + "::timestamptz", 'v');
  }
}

std::optional<std::string> opt_bound(const std::optional<Timestamp>& t) {
  return t ? std::optional(format_bound(*t)) : std::nullopt;
}

// "(time, id) < (cursor)" (or ">"), as a keyset condition that walks the
// (time, id) index. Stored times are whole microseconds, so a cursor time between
// two of them compares on the time alone: x < c ⟺ x <= floor(c), x > c ⟺ x >= ceil(c).
std::string keyset(Conditions& c, const std::string& time_column, const std::string& id_column,
                   bool before, Timestamp at, const std::string& id) {
  if (!whole_micros(at)) {
    return before ? time_column + " <= " + c.bind(format_timestamp(at)) + "::timestamptz"
                  : time_column + " >= " + c.bind(format_bound(at)) + "::timestamptz";
  }
  return "(" + time_column + ", " + id_column + ") " + (before ? "<" : ">") + " (" +
         c.bind(format_timestamp(at)) + "::timestamptz, " + c.bind(id) + "::text)";
}

std::string anchor_json(const EventAnchor& a, bool with_role) {
  nlohmann::json j = {{"type", a.type}, {"id", a.id}};
  if (with_role) j["role"] = a.role;
  return j.dump();
}

constexpr const char* kAuditColumns =
    "a.id, a.occurred_at, a.name, a.display_message, a.outcome, a.anchors, a.data_json, "
    "a.actor_type, a.actor_id, a.actor_display, a.correlation";

}  // namespace

BuiltQuery list_query(const std::string& schema, const ListRequest& r) {
  Conditions c;
  add_filter(c, schema, r.filter);
  const bool newest = r.order == ListOrder::NewestFirst;
  if (r.after) {
    const bool whole = whole_micros(r.after->started_at);
    c.add(keyset(c, "o.started_at", "o.id", newest, r.after->started_at, r.after->id.value()),
          whole ? 'k' : 'K');
  }
  const char* direction = newest ? " DESC" : "";
  BuiltQuery q;
  q.statement.sql = "SELECT " + snapshot_columns("o.") + " FROM " + schema + ".operations o" +
                    c.where + " ORDER BY o.started_at" + direction + ", o.id" + direction +
                    " LIMIT " + c.bind(limit_text(r.limit)) + "::bigint";
  q.statement.name = std::string("incursa_list_") + (newest ? "n" : "o") + c.shape;
  q.params = std::move(c.params);
  return q;
}

BuiltQuery count_query(const std::string& schema, const OperationFilter& filter) {
  Conditions c;
  add_filter(c, schema, filter);
  BuiltQuery q;
  q.statement.sql =
      "SELECT o.status, count(*) FROM " + schema + ".operations o" + c.where + " GROUP BY o.status";
  q.statement.name = "incursa_count_" + c.shape;
  q.params = std::move(c.params);
  return q;
}

BuiltQuery bounded_count_query(const std::string& schema, const OperationFilter& filter,
                               std::int64_t limit) {
  OperationFilter rest = filter;
  rest.statuses = {};
  Conditions c;
  add_filter(c, schema, rest);
  const std::string cap = c.bind(std::to_string(limit));
  const StatusSet wanted = filter.statuses.empty() ? StatusSet::all() : filter.statuses;
  std::string sql;
  for (int i = 0; i < kOperationStatusCount; ++i) {
    const auto status = static_cast<OperationStatus>(i);
    if (!wanted.contains(status)) continue;
    const std::string bound = c.bind(std::string(to_string(status)));
    // An equality on status, so (status, started_at, id) or (status, name, …)
    // can serve each scan; LIMIT stops it at `limit` rows.
    sql += std::string(sql.empty() ? "" : " UNION ALL ") + "SELECT " + bound +
           "::text AS status, (SELECT count(*) FROM (SELECT 1 FROM " + schema + ".operations o" +
           c.where + (c.where.empty() ? " WHERE " : " AND ") + "o.status = " + bound +
           "::text LIMIT " + cap + "::bigint) x) AS n";
    c.shape.push_back(static_cast<char>('0' + i));
  }
  BuiltQuery q;
  q.statement.sql = "SELECT * FROM (" + sql + ") counts WHERE counts.n > 0";
  q.statement.name = "incursa_bounded_count_" + c.shape;
  q.params = std::move(c.params);
  return q;
}

StatusCounts decode_counts(const Result& result) {
  StatusCounts counts;
  for (int i = 0; i < result.rows(); ++i) {
    try {
      counts[parse_operation_status(result.text(i, 0))] = parse_int64(result.text(i, 1));
    } catch (const ValidationError& e) {
      throw PgError({std::string("unreadable status: ") + e.what(), "", false, false});
    }
  }
  return counts;
}

BuiltQuery audit_insert(const std::string& schema, const AuditEvent& e) {
  nlohmann::json anchors = nlohmann::json::array();
  for (const EventAnchor& a : e.anchors) {
    anchors.push_back({{"type", a.type}, {"id", a.id}, {"role", a.role}});
  }
  BuiltQuery q;
  q.statement.name = "incursa_audit_insert";
  q.statement.sql = "INSERT INTO " + schema +
                    ".audit_events (id, occurred_at, name, display_message, outcome, anchors, "
                    "data_json, actor_type, actor_id, actor_display, correlation) VALUES "
                    "($1::text, $2::timestamptz, $3::text, $4::text, $5::text, $6::jsonb, "
                    "$7::text, $8::text, $9::text, $10::text, $11::jsonb) "
                    "ON CONFLICT (id) DO NOTHING RETURNING true";
  q.params = {
      e.id.value(),
      format_timestamp(e.occurred_at),
      e.name,
      e.display_message,
      std::string(to_string(e.outcome)),
      anchors.dump(),
      e.data_json,
      e.actor ? std::optional(e.actor->type) : std::nullopt,
      e.actor ? std::optional(e.actor->id) : std::nullopt,
      e.actor ? e.actor->display : std::nullopt,
      e.correlation ? std::optional(to_json(*e.correlation)) : std::nullopt,
  };
  return q;
}

BuiltQuery audit_get(const std::string& schema, const AuditEventId& id) {
  BuiltQuery q;
  q.statement.name = "incursa_audit_get";
  q.statement.sql = std::string("SELECT ") + kAuditColumns + " FROM " + schema +
                    ".audit_events a WHERE a.id = $1::text";
  q.params = {id.value()};
  return q;
}

BuiltQuery audit_query(const std::string& schema, const AuditQuery& query) {
  Conditions c;
  if (!query.anchors.empty()) {
    // Any anchor matches: each is a containment test the GIN index answers.
    std::string any;
    for (const EventAnchor& a : query.anchors) {
      if (!any.empty()) any += " OR ";
      any += "a.anchors @> " + c.bind("[" + anchor_json(a, !a.role.empty()) + "]") + "::jsonb";
    }
    c.add("(" + any + ")", 'A');
  }
  if (query.from)
    c.add("a.occurred_at >= " + c.bind(format_bound(*query.from)) + "::timestamptz", 'f');
  if (query.to) c.add("a.occurred_at < " + c.bind(format_bound(*query.to)) + "::timestamptz", 't');
  if (query.name) {
    const std::string& n = *query.name;
    if (!n.empty() && n.back() == '*') {
      const std::string prefix = n.substr(0, n.size() - 1);
      const std::string p = c.bind(prefix);
      c.add("a.name >= " + p + "::text AND a.name < " + c.bind(prefix + kMaxCodePoint) +
                "::text AND starts_with(a.name, " + p + "::text)",
            'p');
    } else {
      c.add("a.name = " + c.bind(n) + "::text", 'n');
    }
  }
  if (query.correlation_id) {
    c.add("(a.correlation ->> 'correlation_id') = " + c.bind(query.correlation_id->value()) +
              "::text",
          'c');
  }
  if (query.before) {
    const bool whole = whole_micros(query.before->occurred_at);
    c.add(keyset(c, "a.occurred_at", "a.id", true, query.before->occurred_at,
                 query.before->id.value()),
          whole ? 'k' : 'K');
  }
  BuiltQuery q;
  q.statement.sql = std::string("SELECT ") + kAuditColumns + " FROM " + schema + ".audit_events a" +
                    c.where + " ORDER BY a.occurred_at DESC, a.id DESC LIMIT " +
                    c.bind(limit_text(query.limit)) + "::bigint";
  q.statement.name = "incursa_audit_query_" + c.shape + std::to_string(query.anchors.size());
  q.params = std::move(c.params);
  return q;
}

std::vector<AuditEvent> decode_audit_events(const Result& r) {
  std::vector<AuditEvent> out;
  for (int i = 0; i < r.rows(); ++i) {
    AuditEvent e;
    try {
      e.id = AuditEventId::parse(r.text(i, 0));
      e.occurred_at = parse_timestamp(r.text(i, 1));
      e.name = r.text(i, 2);
      e.display_message = r.text(i, 3);
      e.outcome = parse_event_outcome(r.text(i, 4));
      for (const auto& a : nlohmann::json::parse(r.text(i, 5))) {
        e.anchors.push_back({a.at("type").get<std::string>(), a.at("id").get<std::string>(),
                             a.at("role").get<std::string>()});
      }
      e.data_json = r.optional_text(i, 6);
      if (!r.null(i, 7)) {
        e.actor =
            AuditActor{std::string(r.text(i, 7)), std::string(r.text(i, 8)), r.optional_text(i, 9)};
      }
      if (!r.null(i, 10)) e.correlation = correlation_from_json(r.text(i, 10));
    } catch (const std::exception& error) {
      throw PgError({std::string("unreadable audit event row: ") + error.what(), "", false, false});
    }
    out.push_back(std::move(e));
  }
  return out;
}

BuiltQuery restore_query(const std::string& schema, std::span<const RestoreRecord> batch) {
  // Column-wise arrays, one element per operation (and per event), so a batch
  // of any size is one statement with a fixed shape.
  constexpr std::size_t kSnapshotParams = 19;
  std::vector<std::vector<std::optional<std::string>>> columns(kSnapshotParams);
  std::vector<std::optional<std::string>> last_sequence;
  std::vector<std::optional<std::string>> owner, seq, at, kind, message, data, key;
  for (const RestoreRecord& r : batch) {
    Params row = snapshot_params(r.operation);
    for (std::size_t i = 0; i < kSnapshotParams; ++i) columns[i].push_back(std::move(row[i]));
    std::int64_t last = 0;
    for (const OperationEvent& e : r.events) {
      owner.emplace_back(r.operation.id.value());
      seq.emplace_back(std::to_string(e.sequence));
      at.emplace_back(format_timestamp(e.occurred_at));
      kind.emplace_back(e.kind);
      message.push_back(e.message);
      data.push_back(e.data_json);
      key.push_back(e.key.empty() ? std::nullopt : std::optional(e.key));
      last = std::max(last, e.sequence);
    }
    last_sequence.emplace_back(std::to_string(last));
  }
  BuiltQuery q;
  q.statement.name = "incursa_restore";
  // Events kept from a purged operation with this id count as taken: the
  // restored history would mix with theirs.
  q.statement.sql =
      "WITH i AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], "
      "$4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], "
      "$8::float8[], $9::text[], $10::bigint[], $11::bigint[], $12::text[], $13::jsonb[], "
      "$14::text[], $15::jsonb[], $16::timestamptz[], $17::text[], $18::bigint[], "
      "$19::bigint[], $20::bigint[]) AS i(id, name, status, started_at, updated_at, "
      "last_progress_at, completed_at, percent, message, progress_current, progress_total, "
      "progress_unit, correlation, parent_id, tags, cancel_requested_at, cancel_reason, "
      "stall_count, version, last_sequence)), "
      "op AS (INSERT INTO " +
      schema +
      ".operations (id, name, status, started_at, updated_at, last_progress_at, completed_at, "
      "percent, message, progress_current, progress_total, progress_unit, correlation, "
      "parent_id, tags, cancel_requested_at, cancel_reason, stall_count, version, "
      "last_sequence) SELECT i.id, i.name, i.status, i.started_at, i.updated_at, "
      "i.last_progress_at, i.completed_at, i.percent, i.message, i.progress_current, "
      "i.progress_total, i.progress_unit, i.correlation, i.parent_id, "
      "COALESCE(i.tags, '{}'::jsonb), i.cancel_requested_at, i.cancel_reason, i.stall_count, "
      "i.version, i.last_sequence FROM i WHERE NOT EXISTS (SELECT 1 FROM " +
      schema +
      ".events k WHERE k.operation_id = i.id) ON CONFLICT (id) DO NOTHING RETURNING id), "
      "ev AS (INSERT INTO " +
      schema +
      ".events (operation_id, sequence, occurred_at, kind, message, data_json, event_key) "
      "SELECT e.operation_id, e.sequence, e.occurred_at, e.kind, e.message, e.data_json, "
      "e.event_key FROM unnest($21::text[], $22::bigint[], $23::timestamptz[], $24::text[], "
      "$25::text[], $26::text[], $27::text[]) AS e(operation_id, sequence, occurred_at, kind, "
      "message, data_json, event_key) JOIN op ON op.id = e.operation_id) SELECT id FROM op";
  for (const auto& column : columns) q.params.emplace_back(text_array(column));
  for (const auto* column : {&last_sequence, &owner, &seq, &at, &kind, &message, &data, &key}) {
    q.params.emplace_back(text_array(*column));
  }
  return q;
}

BuiltQuery taken_query(const std::string& schema, std::span<const OperationId> ids) {
  std::vector<std::optional<std::string>> values;
  for (const OperationId& id : ids) values.emplace_back(id.value());
  BuiltQuery q;
  q.statement.name = "incursa_taken";
  q.statement.sql =
      "SELECT x.id FROM unnest($1::text[]) WITH ORDINALITY AS x(id, n) WHERE "
      "EXISTS (SELECT 1 FROM " +
      schema + ".operations o WHERE o.id = x.id) OR EXISTS (SELECT 1 FROM " + schema +
      ".events k WHERE k.operation_id = x.id) ORDER BY x.n";
  q.params = {text_array(values)};
  return q;
}

BuiltQuery purgeable_query(const std::string& schema, const PurgeRequest& request) {
  BuiltQuery q;
  q.statement.name = "incursa_purgeable";
  // Each status compares with its own cutoff; a NULL cutoff matches nothing.
  q.statement.sql = "SELECT " + snapshot_columns("o.") + ", (SELECT count(*) FROM " + schema +
                    ".events e WHERE e.operation_id = o.id) FROM " + schema +
                    ".operations o WHERE o.status IN ('Succeeded', 'Failed', 'Canceled') AND "
                    "o.completed_at < CASE o.status WHEN 'Succeeded' THEN $1::timestamptz "
                    "WHEN 'Failed' THEN $2::timestamptz ELSE $3::timestamptz END "
                    "ORDER BY o.completed_at, o.id LIMIT $4::bigint";
  q.params = {opt_bound(request.succeeded_before), opt_bound(request.failed_before),
              opt_bound(request.canceled_before), limit_text(request.limit)};
  return q;
}

std::vector<PurgeCandidate> decode_purgeable(const Result& r) {
  std::vector<PurgeCandidate> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({snapshot_from_row(r, i, 0), parse_int64(r.text(i, kSnapshotColumnCount))});
  }
  return out;
}

BuiltQuery delete_operations_query(const std::string& schema, const std::vector<OperationId>& ids,
                                   const PurgeRequest& request) {
  std::vector<std::optional<std::string>> values;
  for (const OperationId& id : ids) values.emplace_back(id.value());
  BuiltQuery q;
  q.statement.name = "incursa_delete_operations";
  // The same condition as find_purgeable, checked again inside the DELETE: a row
  // that changed since it was found is left alone. Each deleted operation with
  // events left leaves its tombstone in the same statement.
  q.statement.sql =
      "WITH gone AS (DELETE FROM " + schema +
      ".operations o WHERE o.id = ANY ($1::text[]) AND "
      "o.status IN ('Succeeded', 'Failed', 'Canceled') AND "
      "o.completed_at < CASE o.status WHEN 'Succeeded' THEN $2::timestamptz "
      "WHEN 'Failed' THEN $3::timestamptz ELSE $4::timestamptz END "
      "RETURNING o.id, o.name, o.status, o.completed_at), "
      "tombstones AS (INSERT INTO " +
      schema +
      ".purged_operations (id, name, status, completed_at, purged_at) "
      "SELECT g.id, g.name, g.status, g.completed_at, $5::timestamptz FROM gone g "
      "WHERE EXISTS (SELECT 1 FROM " +
      schema +
      ".events e WHERE e.operation_id = g.id) ON CONFLICT (id) DO UPDATE SET "
      "name = EXCLUDED.name, status = EXCLUDED.status, completed_at = EXCLUDED.completed_at, "
      "purged_at = EXCLUDED.purged_at) "
      "SELECT id FROM gone";
  q.params = {text_array(values), opt_bound(request.succeeded_before),
              opt_bound(request.failed_before), opt_bound(request.canceled_before),
              format_timestamp(request.now)};
  return q;
}

BuiltQuery purged_query(const std::string& schema, const OperationId& id) {
  BuiltQuery q;
  q.statement.name = "incursa_purged";
  // A tombstone counts only while its operation has events (as on every store).
  q.statement.sql = "SELECT p.name, p.status, p.completed_at, p.purged_at FROM " + schema +
                    ".purged_operations p WHERE p.id = $1::text AND EXISTS (SELECT 1 FROM " +
                    schema + ".events e WHERE e.operation_id = p.id)";
  q.params = {id.value()};
  return q;
}

std::optional<PurgedOperation> decode_purged(const Result& r, const OperationId& id) {
  if (r.rows() == 0) return std::nullopt;
  try {
    PurgedOperation purged{.id = id, .name = std::string(r.text(0, 0))};
    if (!r.null(0, 1)) purged.status = parse_operation_status(r.text(0, 1));
    if (!r.null(0, 2)) purged.completed_at = parse_timestamp(r.text(0, 2));
    purged.purged_at = parse_timestamp(r.text(0, 3));
    return purged;
  } catch (const std::exception& error) {
    throw PgError({std::string("unreadable tombstone row: ") + error.what(), "", false, false});
  }
}

std::vector<OperationId> decode_ids(const Result& r) {
  std::vector<OperationId> out;
  for (int i = 0; i < r.rows(); ++i) {
    try {
      out.push_back(OperationId::parse(r.text(i, 0)));
    } catch (const ValidationError& e) {
      throw PgError({std::string("unreadable id: ") + e.what(), "", false, false});
    }
  }
  return out;
}

BuiltQuery delete_events_query(const std::string& schema, Timestamp cutoff, std::size_t limit) {
  BuiltQuery q;
  q.statement.name = "incursa_delete_events";
  // Events of open operations are never touched; terminal is final, so the check
  // cannot go stale. SKIP LOCKED lets two purgers split the work. A tombstone
  // whose last event goes goes too; the statement still sees the rows it
  // deletes, so "no event left" leaves those out. (Two purgers splitting one
  // operation's last events may both keep its tombstone: harmless, as a
  // tombstone counts only while events exist.)
  q.statement.sql =
      "WITH deleted AS (DELETE FROM " + schema +
      ".events d USING (SELECT e.operation_id, e.sequence FROM " + schema + ".events e LEFT JOIN " +
      schema +
      ".operations o ON o.id = e.operation_id WHERE e.occurred_at < $1::timestamptz AND "
      "(o.id IS NULL OR o.status IN ('Succeeded', 'Failed', 'Canceled')) "
      "ORDER BY e.occurred_at LIMIT $2::bigint FOR UPDATE OF e SKIP LOCKED) victims "
      "WHERE d.operation_id = victims.operation_id AND d.sequence = victims.sequence "
      "RETURNING d.operation_id, d.sequence), "
      "tombstones AS (DELETE FROM " +
      schema +
      ".purged_operations p WHERE p.id IN (SELECT operation_id FROM deleted) AND NOT EXISTS ("
      "SELECT 1 FROM " +
      schema +
      ".events k WHERE k.operation_id = p.id AND NOT EXISTS (SELECT 1 FROM deleted x "
      "WHERE x.operation_id = k.operation_id AND x.sequence = k.sequence))) "
      "SELECT count(*) FROM deleted";
  q.params = {format_bound(cutoff), limit_text(limit)};
  return q;
}

}  // namespace incursa::platform::postgres
