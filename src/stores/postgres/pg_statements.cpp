#include "pg_statements.hpp"

#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/store_support.hpp"
#include "pg_rows.hpp"

namespace incursa::platform::postgres {

namespace {

std::optional<std::string> opt(const std::optional<std::string>& v) { return v; }
std::optional<std::string> opt_time(const std::optional<Timestamp>& t) {
  return t ? std::optional(format_timestamp(*t)) : std::nullopt;
}
std::string boolean(bool b) { return b ? "true" : "false"; }
std::optional<std::string> key(const std::string& k) {
  return k.empty() ? std::nullopt : std::optional(k);  // no key: NULL, which never collides
}

std::string casts(const std::vector<const char*>& types) {
  std::string out;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i > 0) out += ", ";
    out += "$" + std::to_string(i + 1) + "::" + types[i];
  }
  return out;
}

std::string function_call(const std::string& schema, const char* function,
                          const std::vector<const char*>& types) {
  return "SELECT t.outcome, t.old_status, t.first_sequence, " + snapshot_columns("(t.op).") +
         " FROM " + schema + "." + function + "(" + casts(types) + ") AS t";
}

// op_transition's parameter types, in order.
const std::vector<const char*> kTransitionTypes{
    "text",    "text[]",        "text",    "timestamptz", "interval", "timestamptz", "text",
    "float8",  "text",          "boolean", "bigint",      "bigint",   "text",        "boolean",
    "boolean", "boolean",       "text",    "boolean",     "text[]",   "text[]",      "text[]",
    "text",    "timestamptz[]", "text[]",  "text[]",      "text[]",   "text[]"};

// The common transition, a progress update or heartbeat of an operation already
// in the target status, as one UPDATE: it needs no status event, and PL/pgSQL's
// per-call cost (a function scan, a row lock, then the UPDATE, each its own
// executor run) is most of the function's server time (docs/postgres.md,
// "The common case in place"). The UPDATE applies only when the row is in an
// allowed status that equals the target, so it can only do what the function
// would do then; any other case (a status change, a rejection, no such
// operation) finds no row and the function, in the same statement, decides as
// always. The function's branch runs only when the UPDATE returned nothing (a
// one-time filter).
// Parameters are transition's: $1 id, $2 allowed, $6 at, $7 target status,
// $8 percent, $9 message, $10-$13 progress, $14 mark progress.
std::string in_place_call(const std::string& schema, const std::string& function_call) {
  return "WITH in_place AS (UPDATE " + schema +
         ".operations o SET"
         " percent = COALESCE($8::float8, o.percent),"
         " message = COALESCE($9::text, o.message),"
         " progress_current = CASE WHEN $10::boolean THEN $11::bigint ELSE o.progress_current END,"
         " progress_total = CASE WHEN $10::boolean THEN $12::bigint ELSE o.progress_total END,"
         " progress_unit = CASE WHEN $10::boolean THEN $13::text ELSE o.progress_unit END,"
         " last_progress_at = CASE WHEN $14::boolean THEN $6::timestamptz"
         " ELSE o.last_progress_at END,"
         " updated_at = $6::timestamptz,"
         " version = o.version + 1"
         " WHERE o.id = $1::text AND o.status = ANY ($2::text[])"
         " AND o.status = COALESCE($7::text, o.status) AND $6::timestamptz IS NOT NULL"
         " RETURNING 'Applied'::text, o.status, o.last_sequence + 1, " +
         snapshot_columns("o.") + ") SELECT * FROM in_place UNION ALL " + function_call +
         " WHERE NOT EXISTS (SELECT 1 FROM in_place)";
}

constexpr int kResultSnapshotColumn = 3;  // after outcome, old_status, first_sequence

OperationEvent to_event(const OperationId& id, std::int64_t sequence, NewEvent e) {
  OperationEvent out;
  out.operation_id = id;
  out.sequence = sequence;
  out.occurred_at = e.occurred_at;
  out.kind = std::move(e.kind);
  out.message = std::move(e.message);
  out.data_json = std::move(e.data_json);
  out.key = std::move(e.key);
  return out;
}

}  // namespace

Statements::Statements(const std::string& quoted_schema)
    : schema(quoted_schema),
      insert{"incursa_insert",
             function_call(quoted_schema, "op_insert",
                           {"text",        "text",        "text",   "timestamptz", "timestamptz",
                            "timestamptz", "timestamptz", "float8", "text",        "bigint",
                            "bigint",      "text",        "jsonb",  "text",        "jsonb",
                            "timestamptz", "text",        "bigint", "bigint",      "boolean",
                            "timestamptz", "text",        "text",   "text",        "text"})},
      transition{"incursa_transition",
                 function_call(quoted_schema, "op_transition", kTransitionTypes)},
      transition_in_place{"incursa_transition_in_place",
                          in_place_call(quoted_schema, transition.sql)},
      get{"incursa_get", "SELECT " + snapshot_columns("o.") + " FROM " + quoted_schema +
                             ".operations o WHERE o.id = $1::text"},
      events{"incursa_events", "SELECT " + event_columns("e.") + " FROM " + quoted_schema +
                                   ".events e WHERE e.operation_id = $1::text AND e.sequence > "
                                   "$2::bigint ORDER BY e.sequence LIMIT $3::bigint"},
      events_by_keys{"incursa_events_by_keys",
                     "SELECT " + event_columns("e.") + " FROM " + quoted_schema +
                         ".events e WHERE e.operation_id = $1::text AND e.event_key = "
                         "ANY ($2::text[]) ORDER BY e.sequence"} {}

Statement find_stale_statement(const std::string& quoted_schema, StatusSet statuses,
                               ActivityBasis basis, bool database_clock) {
  std::string in;
  for (int i = 0; i < kOperationStatusCount; ++i) {
    const auto s = static_cast<OperationStatus>(i);
    if (!statuses.contains(s)) continue;
    if (!in.empty()) in += ", ";
    in += "'" + std::string(to_string(s)) + "'";
  }
  const char* column = basis == ActivityBasis::Progress ? "o.last_progress_at" : "o.updated_at";
  const std::string cutoff =
      database_clock ? "statement_timestamp() - $1::interval" : "$1::timestamptz";
  Statement st;
  st.name = "incursa_find_stale_" + std::to_string(statuses.bits()) +
            (basis == ActivityBasis::Progress ? "_p" : "_a") + (database_clock ? "_db" : "_app");
  st.sql = "SELECT " + snapshot_columns("o.") + " FROM " + quoted_schema +
           ".operations o WHERE o.status IN (" + in + ") AND " + column + " < " + cutoff +
           " AND ($3::text IS NULL OR starts_with(o.name, $3::text))"
           " AND NOT EXISTS (SELECT 1 FROM unnest($4::text[]) AS x(prefix)"
           " WHERE starts_with(o.name, x.prefix))"
           " ORDER BY " +
           column + ", o.id LIMIT $2::bigint";
  return st;
}

Params snapshot_params(const OperationSnapshot& op) {
  return {
      op.id.value(),
      op.name,
      std::string(to_string(op.status)),
      format_timestamp(op.started_at),
      format_timestamp(op.updated_at),
      format_timestamp(op.last_progress_at),
      opt_time(op.completed_at),
      op.percent ? std::optional(format_double(*op.percent)) : std::nullopt,
      opt(op.message),
      op.progress ? std::optional(std::to_string(op.progress->current)) : std::nullopt,
      op.progress && op.progress->total ? std::optional(std::to_string(*op.progress->total))
                                        : std::nullopt,
      op.progress ? std::optional(op.progress->unit) : std::nullopt,
      op.correlation ? std::optional(to_json(*op.correlation)) : std::nullopt,
      op.parent_id ? std::optional(op.parent_id->value()) : std::nullopt,
      to_json(op.tags),
      opt_time(op.cancel_requested_at),
      opt(op.cancel_reason),
      std::to_string(op.stall_count),
      std::to_string(op.version),
  };
}

Params insert_params(const OperationSnapshot& op, const NewEvent& ev, bool database_clock) {
  Params p = snapshot_params(op);
  p.insert(p.end(), {boolean(database_clock), format_timestamp(ev.occurred_at), ev.kind,
                     opt(ev.message), opt(ev.data_json), key(ev.key)});
  return p;
}

Params transition_params(const TransitionRequest& r, bool database_clock) {
  const SnapshotChanges& c = r.changes;
  std::vector<std::optional<std::string>> allowed;
  std::vector<std::optional<std::string>> status_from;
  std::vector<std::optional<std::string>> status_message;
  std::vector<std::optional<std::string>> status_data;
  for (int i = 0; i < kOperationStatusCount; ++i) {
    const auto s = static_cast<OperationStatus>(i);
    if (!r.allowed_from.contains(s)) continue;
    allowed.emplace_back(std::string(to_string(s)));
    if (c.status && *c.status != s) {
      // The event this write appends if the row turns out to be in status `s`;
      // made by the shared function so every store writes the same bytes.
      NewEvent e = status_change_event(s, r);
      status_from.emplace_back(std::string(to_string(s)));
      status_message.emplace_back(std::move(e.message));
      status_data.emplace_back(std::move(e.data_json));
    }
  }
  std::vector<std::optional<std::string>> ev_at, ev_kind, ev_message, ev_data, ev_key;
  for (const NewEvent& e : r.events) {
    ev_at.emplace_back(format_timestamp(e.occurred_at));
    ev_kind.emplace_back(e.kind);
    ev_message.push_back(e.message);
    ev_data.push_back(e.data_json);
    ev_key.push_back(key(e.key));
  }
  std::optional<std::string> basis, cutoff, age;
  if (r.only_if_stale) {
    basis = r.only_if_stale->basis == ActivityBasis::Progress ? "Progress" : "Activity";
    cutoff = format_bound(r.only_if_stale->cutoff);
    // The same bound as an age: ceil(cutoff) lies a whole number of µs before `at`.
    age = interval_micros(std::chrono::floor<std::chrono::microseconds>(r.at) -
                          std::chrono::ceil<std::chrono::microseconds>(r.only_if_stale->cutoff));
  }
  return {
      r.id.value(),
      text_array(allowed),
      basis,
      cutoff,
      age,
      database_clock ? std::nullopt : std::optional(format_timestamp(r.at)),
      c.status ? std::optional(std::string(to_string(*c.status))) : std::nullopt,
      c.percent ? std::optional(format_double(*c.percent)) : std::nullopt,
      c.message,
      boolean(c.progress.has_value()),
      c.progress ? std::optional(std::to_string(c.progress->current)) : std::nullopt,
      c.progress && c.progress->total ? std::optional(std::to_string(*c.progress->total))
                                      : std::nullopt,
      c.progress ? std::optional(c.progress->unit) : std::nullopt,
      boolean(c.mark_progress),
      boolean(c.mark_completed),
      boolean(c.request_cancel),
      c.cancel_reason,
      boolean(c.increment_stall_count),
      text_array(status_from),
      text_array(status_message),
      text_array(status_data),
      key(r.status_event_key),
      text_array(ev_at),
      text_array(ev_kind),
      text_array(ev_message),
      text_array(ev_data),
      text_array(ev_key),
  };
}

Params find_stale_params(const StaleQuery& q, bool database_clock, Timestamp app_now) {
  std::string cutoff =
      database_clock ? interval_micros(std::chrono::floor<std::chrono::microseconds>(app_now) -
                                       std::chrono::ceil<std::chrono::microseconds>(q.cutoff))
                     : format_bound(q.cutoff);
  std::vector<std::optional<std::string>> excluded(q.exclude_name_prefixes.begin(),
                                                   q.exclude_name_prefixes.end());
  return {std::move(cutoff), std::to_string(q.limit), q.name_prefix, text_array(excluded)};
}

std::vector<std::string> transition_keys(const TransitionRequest& r) {
  std::vector<std::string> keys;
  for (const NewEvent& e : r.events) {
    if (!e.key.empty()) keys.push_back(e.key);
  }
  if (!r.status_event_key.empty()) keys.push_back(r.status_event_key);
  return keys;
}

const Statement& transition_statement(const Statements& statements, const TransitionRequest& r,
                                      bool database_clock) {
  return transition_applies_in_place(r, database_clock) ? statements.transition_in_place
                                                        : statements.transition;
}

bool transition_applies_in_place(const TransitionRequest& r, bool database_clock) {
  const SnapshotChanges& c = r.changes;
  return !database_clock && r.events.empty() && !r.only_if_stale && !c.mark_completed &&
         !c.request_cancel && !c.increment_stall_count &&
         (!c.status || r.allowed_from.contains(*c.status));
}

bool transition_is_idempotent(const TransitionRequest& r) {
  // Every event of a request is written together, so finding any one key proves
  // the whole write happened.
  for (const NewEvent& e : r.events) {
    if (!e.key.empty()) return true;
  }
  // Without events of its own, the write is recognisable only if it always
  // changes the status (and so always writes the keyed status event).
  if (!r.changes.status || r.status_event_key.empty() || r.allowed_from.empty()) return false;
  return !r.allowed_from.contains(*r.changes.status);
}

InsertResult decode_insert(const Result& result, const OperationId& id) {
  if (result.rows() == 1 && result.text(0, 0) == "Purged") {
    return InsertResult{.created = false, .snapshot = {}, .purged = PurgedOperation{.id = id}};
  }
  if (result.rows() != 1 || result.null(0, kResultSnapshotColumn)) {
    throw PgError({"op_insert returned no operation", "", false, false});
  }
  const std::string_view outcome = result.text(0, 0);
  InsertResult out{outcome == "Created" || outcome == "Replayed",
                   snapshot_from_row(result, 0, kResultSnapshotColumn)};
  return out;
}

DecodedTransition decode_transition(const Result& result, const TransitionRequest& request,
                                    bool database_clock) {
  if (result.rows() != 1) throw PgError({"op_transition returned no row", "", false, false});
  const std::string_view outcome = result.text(0, 0);
  DecodedTransition d;
  if (outcome == "NotFound") {
    d.result.outcome = TransitionOutcome::NotFound;
    return d;
  }
  d.result.snapshot = snapshot_from_row(result, 0, kResultSnapshotColumn);
  if (outcome == "Rejected") {
    d.result.outcome = TransitionOutcome::Rejected;
  } else if (outcome == "NotStale") {
    d.result.outcome = TransitionOutcome::NotStale;
  } else if (outcome == "Replayed") {
    d.result.outcome = TransitionOutcome::Applied;
    d.replayed = true;
  } else if (outcome == "Applied") {
    d.result.outcome = TransitionOutcome::Applied;
    const OperationStatus old_status = parse_operation_status(result.text(0, 1));
    std::int64_t sequence = parse_int64(result.text(0, 2));
    // The server wrote exactly these events; rebuild them rather than read them back.
    std::vector<NewEvent> written;
    if (request.changes.status && *request.changes.status != old_status) {
      written.push_back(status_change_event(old_status, request));
    }
    written.insert(written.end(), request.events.begin(), request.events.end());
    for (NewEvent& e : written) {
      if (database_clock) e.occurred_at = d.result.snapshot->updated_at;
      d.result.appended.push_back(to_event(request.id, sequence++, std::move(e)));
    }
  } else {
    throw PgError({"op_transition returned '" + std::string(outcome) + "'", "", false, false});
  }
  return d;
}

std::optional<OperationSnapshot> decode_get(const Result& result) {
  if (result.rows() == 0) return std::nullopt;
  return snapshot_from_row(result, 0, 0);
}

std::vector<OperationEvent> decode_events(const Result& result) {
  std::vector<OperationEvent> out;
  out.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) out.push_back(event_from_row(result, i, 0));
  return out;
}

std::vector<OperationSnapshot> decode_snapshots(const Result& result) {
  std::vector<OperationSnapshot> out;
  out.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) out.push_back(snapshot_from_row(result, i, 0));
  return out;
}

}  // namespace incursa::platform::postgres
