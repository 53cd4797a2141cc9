// The store's SQL and its parameters: each call is encoded into one Statement +
// Params, runs in one round trip, and its Result is decoded. Keeping the three
// steps apart is what lets the group-commit batcher (pg_batch.hpp) queue the
// encoded calls of concurrent callers and send them down one connection in
// pipeline mode: every call is a self-contained statement.
//
// Pure functions of their inputs; thread-safe. Decoders throw PgError on rows
// the server would never send.
#pragma once

#include <string>
#include <vector>

#include "incursa/platform/operations/operation_store.hpp"
#include "pg_connection.hpp"

namespace incursa::platform::postgres {

// The statements of one schema (the schema is part of the SQL, so each store
// prepares its own; statement names are per connection, and a connection belongs
// to one store).
struct Statements {
  explicit Statements(const std::string& quoted_schema);

  std::string schema;  // quoted
  Statement insert;
  Statement transition;
  // The same call and parameters as `transition`, for a request that
  // transition_applies_in_place(): a plain UPDATE of the row in the common case
  // (the status is already the target), the function only when that UPDATE
  // finds nothing.
  Statement transition_in_place;
  Statement get;
  Statement events;
  Statement events_by_keys;
};

// find_stale's SQL for one status set and basis. The statuses are written as a
// literal IN list (they come from a fixed set of six words): only a literal list
// lets the planner prove that the partial index `WHERE status IN ('Pending',
// 'Running')` covers the query; `status = ANY($1)` would not. With the database
// clock the cutoff is `statement_timestamp() - $1` (stable, so still indexable).
// Parameters: $1 cutoff (or age), $2 limit, $3 name prefix or NULL, $4 excluded
// name prefixes (the stall policy's longer rules).
Statement find_stale_statement(const std::string& quoted_schema, StatusSet statuses,
                               ActivityBasis basis, bool database_clock);

// The snapshot's columns as parameters, in the order of snapshot_columns().
Params snapshot_params(const OperationSnapshot& operation);

Params insert_params(const OperationSnapshot& operation, const NewEvent& created_event,
                     bool database_clock);

// With the database clock `at` is sent as NULL (the function reads the server's
// time after the row lock), and a stale condition's cutoff is measured back from
// that time by its age, request.at minus the cutoff.
Params transition_params(const TransitionRequest& request, bool database_clock);

// `app_now` is only read with the database clock: the cutoff is then sent as its
// age, app_now minus the cutoff.
Params find_stale_params(const StaleQuery& query, bool database_clock, Timestamp app_now);

// The event keys a transition writes, if any (empty keys are not keys).
std::vector<std::string> transition_keys(const TransitionRequest& request);

// The statement a transition is sent as: transition_in_place when
// transition_applies_in_place(), else transition. Both take transition_params()
// and return what decode_transition() reads.
const Statement& transition_statement(const Statements& statements,
                                      const TransitionRequest& request, bool database_clock);

// True if `request` can be sent as statements.transition_in_place: it appends no
// events, checks no staleness, completes, cancels and counts nothing, and its
// target status (if any) is one it may apply from, so the row as found may
// already be in it. Only with the application's clock, where `at` is a
// parameter: with the database clock the time must be read after the row lock,
// which only the function does.
bool transition_applies_in_place(const TransitionRequest& request, bool database_clock);

// True if repeating `request` after an unknown outcome cannot apply it twice:
// every way it can apply writes an event whose key the function checks first.
bool transition_is_idempotent(const TransitionRequest& request);

// op_insert's answer. 'Purged' (a tombstone refused the id) comes back as
// `purged` holding only the id: the caller reads the tombstone itself.
InsertResult decode_insert(const Result& result, const OperationId& id);

// Outcome of op_transition before the replay lookup.
struct DecodedTransition {
  TransitionResult result;
  bool replayed = false;  // the write had happened already; fetch its events by key
};
DecodedTransition decode_transition(const Result& result, const TransitionRequest& request,
                                    bool database_clock);

std::optional<OperationSnapshot> decode_get(const Result& result);
std::vector<OperationEvent> decode_events(const Result& result);
std::vector<OperationSnapshot> decode_snapshots(const Result& result);

}  // namespace incursa::platform::postgres
