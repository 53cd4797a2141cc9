#include "pg_schema.hpp"

#include <algorithm>
#include <array>

#include "incursa/platform/error.hpp"

namespace incursa::platform::postgres {

namespace {

struct Migration {
  const char* description;
  const char* sql;  // "{s}" stands for the quoted schema name
};

// Version 1. Columns and indexes are explained in docs/postgres.md.
//
// Event data is stored twice on purpose: `data_json` (text) keeps the caller's
// bytes exactly (jsonb would reorder keys and drop whitespace, and the store
// promises a byte-exact round trip), `data` (jsonb, generated from it) is for
// SQL queries into event payloads.
//
// The two functions are the store's write path. Each runs as one statement, in
// one transaction, in one round trip. Inside PL/pgSQL every statement takes a new
// snapshot (READ COMMITTED), so the checks after `FOR UPDATE` see the latest
// committed state, including a retried request's own earlier commit.
constexpr const char* kV1 = R"sql(
CREATE TABLE {s}.operations (
  id                  text        COLLATE "C" PRIMARY KEY,
  name                text        COLLATE "C" NOT NULL,
  status              text        COLLATE "C" NOT NULL CONSTRAINT operations_status_check
                      CHECK (status IN ('Pending','Running','Succeeded','Failed','Canceled','Stalled')),
  started_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  last_progress_at    timestamptz NOT NULL,
  completed_at        timestamptz,
  percent             double precision,
  message             text,
  progress_current    bigint,
  progress_total      bigint,
  progress_unit       text,
  correlation         jsonb,
  parent_id           text        COLLATE "C",
  tags                jsonb       NOT NULL DEFAULT '{}'::jsonb,
  cancel_requested_at timestamptz,
  cancel_reason       text,
  stall_count         bigint      NOT NULL DEFAULT 0,
  version             bigint      NOT NULL,
  last_sequence       bigint      NOT NULL
);

CREATE INDEX operations_stale_activity_idx ON {s}.operations (updated_at, id)
  WHERE status IN ('Pending', 'Running');
CREATE INDEX operations_stale_progress_idx ON {s}.operations (last_progress_at, id)
  WHERE status IN ('Pending', 'Running');
CREATE INDEX operations_started_idx ON {s}.operations (started_at, id);
CREATE INDEX operations_status_started_idx ON {s}.operations (status, started_at, id);
CREATE INDEX operations_name_idx ON {s}.operations (name, started_at, id);
CREATE INDEX operations_correlation_idx ON {s}.operations ((correlation ->> 'correlation_id'))
  WHERE correlation IS NOT NULL;
CREATE INDEX operations_parent_idx ON {s}.operations (parent_id, started_at, id)
  WHERE parent_id IS NOT NULL;
CREATE INDEX operations_tags_idx ON {s}.operations USING gin (tags jsonb_path_ops);

CREATE TABLE {s}.events (
  operation_id text        COLLATE "C" NOT NULL,
  sequence     bigint      NOT NULL,
  occurred_at  timestamptz NOT NULL,
  kind         text        NOT NULL,
  message      text,
  data_json    text,
  data         jsonb       GENERATED ALWAYS AS (data_json::jsonb) STORED,
  event_key    text        COLLATE "C",
  PRIMARY KEY (operation_id, sequence),
  CONSTRAINT events_key_unique UNIQUE (operation_id, event_key)
);

CREATE FUNCTION {s}.op_insert(
    p_id text, p_name text, p_status text,
    p_started_at timestamptz, p_updated_at timestamptz, p_last_progress_at timestamptz,
    p_completed_at timestamptz, p_percent double precision, p_message text,
    p_progress_current bigint, p_progress_total bigint, p_progress_unit text,
    p_correlation jsonb, p_parent_id text, p_tags jsonb,
    p_cancel_requested_at timestamptz, p_cancel_reason text, p_stall_count bigint,
    p_version bigint, p_database_clock boolean,
    p_event_at timestamptz, p_event_kind text, p_event_message text, p_event_data text,
    p_event_key text)
  RETURNS TABLE (outcome text, old_status text, first_sequence bigint, op {s}.operations)
  LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_now timestamptz := CASE WHEN p_database_clock THEN clock_timestamp() END;
  v_row {s}.operations;
  v_first bigint;
BEGIN
  LOOP
    -- Events outlive purged snapshots: an id used again continues after them.
    SELECT COALESCE(max(e.sequence), 0) + 1 INTO v_first FROM {s}.events e
     WHERE e.operation_id = p_id;
    -- ON CONFLICT waits for a concurrent insert of the same id to commit or
    -- abort, so exactly one caller creates the operation.
    INSERT INTO {s}.operations AS o
      (id, name, status, started_at, updated_at, last_progress_at, completed_at, percent,
       message, progress_current, progress_total, progress_unit, correlation, parent_id, tags,
       cancel_requested_at, cancel_reason, stall_count, version, last_sequence)
    VALUES
      (p_id, p_name, p_status, COALESCE(v_now, p_started_at), COALESCE(v_now, p_updated_at),
       COALESCE(v_now, p_last_progress_at), p_completed_at, p_percent, p_message,
       p_progress_current, p_progress_total, p_progress_unit, p_correlation, p_parent_id,
       COALESCE(p_tags, '{}'::jsonb), p_cancel_requested_at, p_cancel_reason, p_stall_count,
       p_version, v_first)
    ON CONFLICT (id) DO NOTHING
    RETURNING o.* INTO v_row;
    IF FOUND THEN
      INSERT INTO {s}.events (operation_id, sequence, occurred_at, kind, message, data_json, event_key)
      VALUES (p_id, v_first, COALESCE(v_now, p_event_at), p_event_kind, p_event_message,
              p_event_data, p_event_key);
      RETURN QUERY SELECT 'Created'::text, NULL::text, v_first, v_row;
      RETURN;
    END IF;
    SELECT * INTO v_row FROM {s}.operations WHERE id = p_id;
    IF FOUND THEN
      -- Our own earlier attempt (its reply was lost) is still a creation.
      RETURN QUERY SELECT
        CASE WHEN p_event_key IS NOT NULL AND EXISTS (
               SELECT 1 FROM {s}.events e
                WHERE e.operation_id = p_id AND e.event_key = p_event_key)
             THEN 'Replayed' ELSE 'Exists' END,
        NULL::text, NULL::bigint, v_row;
      RETURN;
    END IF;
    -- The row that conflicted was deleted meanwhile (a purge): insert again.
  END LOOP;
END
$fn$;

CREATE FUNCTION {s}.op_transition(
    p_id text, p_allowed text[],
    p_stale_basis text, p_stale_cutoff timestamptz, p_stale_age interval,
    p_at timestamptz, p_status text,
    p_percent double precision, p_message text,
    p_set_progress boolean, p_progress_current bigint, p_progress_total bigint,
    p_progress_unit text,
    p_mark_progress boolean, p_mark_completed boolean,
    p_request_cancel boolean, p_cancel_reason text, p_increment_stall_count boolean,
    p_status_from text[], p_status_message text[], p_status_data text[], p_status_key text,
    p_event_at timestamptz[], p_event_kind text[], p_event_message text[], p_event_data text[],
    p_event_key text[])
  RETURNS TABLE (outcome text, old_status text, first_sequence bigint, op {s}.operations)
  LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_row {s}.operations;
  v_old text;
  v_at timestamptz;
  v_cutoff timestamptz;
  v_seq bigint;
  v_first bigint;
  v_pick integer;
  v_replayed bigint;
BEGIN
  SELECT * INTO v_row FROM {s}.operations WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'NotFound'::text, NULL::text, NULL::bigint, NULL::{s}.operations;
    RETURN;
  END IF;
  -- A request seen before (retried after its reply was lost) finds its own event
  -- keys: report that write instead of applying it twice.
  SELECT min(e.sequence) INTO v_replayed FROM {s}.events e
   WHERE e.operation_id = p_id AND e.event_key = ANY (array_append(p_event_key, p_status_key));
  IF v_replayed IS NOT NULL THEN
    RETURN QUERY SELECT 'Replayed'::text, NULL::text, v_replayed, v_row;
    RETURN;
  END IF;
  v_old := v_row.status;
  IF NOT (v_old = ANY (p_allowed)) THEN
    RETURN QUERY SELECT 'Rejected'::text, v_old, NULL::bigint, v_row;
    RETURN;
  END IF;
  -- Taken after the row lock, so activity times follow the order of the writes.
  v_at := COALESCE(p_at, clock_timestamp());
  IF p_stale_basis IS NOT NULL THEN
    v_cutoff := CASE WHEN p_at IS NULL THEN v_at - p_stale_age ELSE p_stale_cutoff END;
    IF NOT ((CASE WHEN p_stale_basis = 'Progress' THEN v_row.last_progress_at
                  ELSE v_row.updated_at END) < v_cutoff) THEN
      RETURN QUERY SELECT 'NotStale'::text, v_old, NULL::bigint, v_row;
      RETURN;
    END IF;
  END IF;
  v_first := v_row.last_sequence + 1;
  v_seq := v_row.last_sequence;
  IF p_status IS NOT NULL AND p_status <> v_old THEN
    -- The client sent the status event for every status it allows; take ours.
    v_pick := array_position(p_status_from, v_old);
    IF v_pick IS NULL THEN
      RAISE EXCEPTION 'no status event supplied for % -> %', v_old, p_status;
    END IF;
    v_seq := v_seq + 1;
    INSERT INTO {s}.events (operation_id, sequence, occurred_at, kind, message, data_json, event_key)
    VALUES (p_id, v_seq, v_at, 'status', p_status_message[v_pick], p_status_data[v_pick],
            p_status_key);
  END IF;
  INSERT INTO {s}.events (operation_id, sequence, occurred_at, kind, message, data_json, event_key)
  SELECT p_id, v_seq + e.n, CASE WHEN p_at IS NULL THEN v_at ELSE e.at END, e.kind, e.message,
         e.data, e.key
    FROM unnest(p_event_at, p_event_kind, p_event_message, p_event_data, p_event_key)
         WITH ORDINALITY AS e(at, kind, message, data, key, n);
  v_seq := v_seq + COALESCE(cardinality(p_event_kind), 0);
  UPDATE {s}.operations SET
      status = COALESCE(p_status, status),
      percent = COALESCE(p_percent, percent),
      message = COALESCE(p_message, message),
      progress_current = CASE WHEN p_set_progress THEN p_progress_current ELSE progress_current END,
      progress_total = CASE WHEN p_set_progress THEN p_progress_total ELSE progress_total END,
      progress_unit = CASE WHEN p_set_progress THEN p_progress_unit ELSE progress_unit END,
      last_progress_at = CASE WHEN p_mark_progress THEN v_at ELSE last_progress_at END,
      completed_at = CASE WHEN p_mark_completed THEN v_at ELSE completed_at END,
      cancel_requested_at = CASE WHEN p_request_cancel
                                 THEN COALESCE(cancel_requested_at, v_at)
                                 ELSE cancel_requested_at END,
      cancel_reason = CASE WHEN p_request_cancel THEN COALESCE(cancel_reason, p_cancel_reason)
                           ELSE cancel_reason END,
      stall_count = stall_count + CASE WHEN p_increment_stall_count THEN 1 ELSE 0 END,
      updated_at = v_at,
      version = version + 1,
      last_sequence = v_seq
    WHERE id = p_id
    RETURNING * INTO v_row;
  RETURN QUERY SELECT 'Applied'::text, v_old, v_first, v_row;
END
$fn$;
)sql";

// Version 2: audit events (contract §6) and the index retention purges walk.
// Anchors are a jsonb array in the caller's order; "any of these anchors" is an
// OR of containment tests, each answered by the GIN index.
constexpr const char* kV2 = R"sql(
CREATE TABLE {s}.audit_events (
  id              text        COLLATE "C" PRIMARY KEY,
  occurred_at     timestamptz NOT NULL,
  name            text        COLLATE "C" NOT NULL,
  display_message text        NOT NULL,
  outcome         text        NOT NULL CONSTRAINT audit_events_outcome_check
                  CHECK (outcome IN ('Success','Failure','Warning','Info')),
  anchors         jsonb       NOT NULL,
  data_json       text,
  data            jsonb       GENERATED ALWAYS AS (data_json::jsonb) STORED,
  actor_type      text,
  actor_id        text,
  actor_display   text,
  correlation     jsonb
);
CREATE INDEX audit_events_time_idx ON {s}.audit_events (occurred_at, id);
CREATE INDEX audit_events_name_idx ON {s}.audit_events (name, occurred_at, id);
CREATE INDEX audit_events_anchors_idx ON {s}.audit_events USING gin (anchors jsonb_path_ops);
CREATE INDEX audit_events_correlation_idx ON {s}.audit_events ((correlation ->> 'correlation_id'))
  WHERE correlation IS NOT NULL;

CREATE INDEX operations_purge_idx ON {s}.operations (completed_at, id)
  WHERE status IN ('Succeeded', 'Failed', 'Canceled');
CREATE INDEX events_occurred_idx ON {s}.events (occurred_at);
)sql";

// Version 3: tags move out of the row every write replaces, and a leaner
// op_transition (below). PostgreSQL adds an
// entry to every index of a table on an update that cannot be HOT (and ours never
// is: the stale indexes cover updated_at), so the GIN index on operations.tags
// took an insert on every progress update and heartbeat -- the costliest part of
// op_transition, whose pending list also made the writer that overflowed it flush
// it (docs/postgres.md, "Performance"). Tags never change after the insert, so
// they are copied once, by a trigger on insert, into operation_tags, whose GIN
// index answers tag filters; operations.tags stays the column snapshots read.
constexpr const char* kV3 = R"sql(
CREATE TABLE {s}.operation_tags (
  operation_id text  COLLATE "C" PRIMARY KEY
               REFERENCES {s}.operations (id) ON DELETE CASCADE,
  tags         jsonb NOT NULL
);
INSERT INTO {s}.operation_tags (operation_id, tags)
  SELECT id, tags FROM {s}.operations WHERE tags <> '{}'::jsonb;
CREATE INDEX operation_tags_idx ON {s}.operation_tags USING gin (tags jsonb_path_ops);
DROP INDEX {s}.operations_tags_idx;

CREATE FUNCTION {s}.op_copy_tags() RETURNS trigger
  LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO {s}.operation_tags (operation_id, tags) VALUES (NEW.id, NEW.tags);
  RETURN NULL;
END
$fn$;
CREATE TRIGGER operations_copy_tags AFTER INSERT ON {s}.operations
  FOR EACH ROW WHEN (NEW.tags <> '{}'::jsonb) EXECUTE FUNCTION {s}.op_copy_tags();

-- op_transition as in version 1, doing less on the most frequent call, a
-- progress update or heartbeat: no replay lookup for a request without event
-- keys, no events INSERT without events, and the result row returned with
-- RETURN NEXT instead of a RETURN QUERY that plans and runs one more SELECT.
CREATE OR REPLACE FUNCTION {s}.op_transition(
    p_id text, p_allowed text[],
    p_stale_basis text, p_stale_cutoff timestamptz, p_stale_age interval,
    p_at timestamptz, p_status text,
    p_percent double precision, p_message text,
    p_set_progress boolean, p_progress_current bigint, p_progress_total bigint,
    p_progress_unit text,
    p_mark_progress boolean, p_mark_completed boolean,
    p_request_cancel boolean, p_cancel_reason text, p_increment_stall_count boolean,
    p_status_from text[], p_status_message text[], p_status_data text[], p_status_key text,
    p_event_at timestamptz[], p_event_kind text[], p_event_message text[], p_event_data text[],
    p_event_key text[])
  RETURNS TABLE (outcome text, old_status text, first_sequence bigint, op {s}.operations)
  LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_row {s}.operations;
  v_old text;
  v_at timestamptz;
  v_cutoff timestamptz;
  v_seq bigint;
  v_first bigint;
  v_pick integer;
  v_replayed bigint;
BEGIN
  SELECT * INTO v_row FROM {s}.operations WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    outcome := 'NotFound';
    RETURN NEXT;
    RETURN;
  END IF;
  -- A request seen before (retried after its reply was lost) finds its own event
  -- keys: report that write instead of applying it twice. A request without keys
  -- (a progress update) cannot be recognised, so it skips the lookup.
  IF p_status_key IS NOT NULL OR cardinality(p_event_key) > 0 THEN
    SELECT min(e.sequence) INTO v_replayed FROM {s}.events e
     WHERE e.operation_id = p_id AND e.event_key = ANY (array_append(p_event_key, p_status_key));
    IF v_replayed IS NOT NULL THEN
      outcome := 'Replayed';
      first_sequence := v_replayed;
      op := v_row;
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  v_old := v_row.status;
  IF NOT (v_old = ANY (p_allowed)) THEN
    outcome := 'Rejected';
    old_status := v_old;
    op := v_row;
    RETURN NEXT;
    RETURN;
  END IF;
  -- Taken after the row lock, so activity times follow the order of the writes.
  v_at := COALESCE(p_at, clock_timestamp());
  IF p_stale_basis IS NOT NULL THEN
    v_cutoff := CASE WHEN p_at IS NULL THEN v_at - p_stale_age ELSE p_stale_cutoff END;
    IF NOT ((CASE WHEN p_stale_basis = 'Progress' THEN v_row.last_progress_at
                  ELSE v_row.updated_at END) < v_cutoff) THEN
      outcome := 'NotStale';
      old_status := v_old;
      op := v_row;
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  v_first := v_row.last_sequence + 1;
  v_seq := v_row.last_sequence;
  IF p_status IS NOT NULL AND p_status <> v_old THEN
    -- The client sent the status event for every status it allows; take ours.
    v_pick := array_position(p_status_from, v_old);
    IF v_pick IS NULL THEN
      RAISE EXCEPTION 'no status event supplied for % -> %', v_old, p_status;
    END IF;
    v_seq := v_seq + 1;
    INSERT INTO {s}.events (operation_id, sequence, occurred_at, kind, message, data_json, event_key)
    VALUES (p_id, v_seq, v_at, 'status', p_status_message[v_pick], p_status_data[v_pick],
            p_status_key);
  END IF;
  IF cardinality(p_event_kind) > 0 THEN
    INSERT INTO {s}.events (operation_id, sequence, occurred_at, kind, message, data_json, event_key)
    SELECT p_id, v_seq + e.n, CASE WHEN p_at IS NULL THEN v_at ELSE e.at END, e.kind, e.message,
           e.data, e.key
      FROM unnest(p_event_at, p_event_kind, p_event_message, p_event_data, p_event_key)
           WITH ORDINALITY AS e(at, kind, message, data, key, n);
    v_seq := v_seq + cardinality(p_event_kind);
  END IF;
  UPDATE {s}.operations SET
      status = COALESCE(p_status, status),
      percent = COALESCE(p_percent, percent),
      message = COALESCE(p_message, message),
      progress_current = CASE WHEN p_set_progress THEN p_progress_current ELSE progress_current END,
      progress_total = CASE WHEN p_set_progress THEN p_progress_total ELSE progress_total END,
      progress_unit = CASE WHEN p_set_progress THEN p_progress_unit ELSE progress_unit END,
      last_progress_at = CASE WHEN p_mark_progress THEN v_at ELSE last_progress_at END,
      completed_at = CASE WHEN p_mark_completed THEN v_at ELSE completed_at END,
      cancel_requested_at = CASE WHEN p_request_cancel
                                 THEN COALESCE(cancel_requested_at, v_at)
                                 ELSE cancel_requested_at END,
      cancel_reason = CASE WHEN p_request_cancel THEN COALESCE(cancel_reason, p_cancel_reason)
                           ELSE cancel_reason END,
      stall_count = stall_count + CASE WHEN p_increment_stall_count THEN 1 ELSE 0 END,
      updated_at = v_at,
      version = version + 1,
      last_sequence = v_seq
    WHERE id = p_id
    RETURNING * INTO v_row;
  outcome := 'Applied';
  old_status := v_old;
  first_sequence := v_first;
  op := v_row;
  RETURN NEXT;
END
$fn$;
)sql";

// Version 4: the write functions plan their statements once. PL/pgSQL keeps a
// plan per statement, but under the default plan_cache_mode the plan cache went
// on choosing custom plans, so every call planned op_transition's UPDATE (a
// table of nine indexes, RETURNING *) again: with a generic plan the server's
// time per call fell from about 170 to 110 µs (pg_stat_statements, bench/lifecycle
// with 1 worker). Every statement in these functions finds its rows by key, so
// the best plan does not depend on the values.
constexpr const char* kV4 = R"sql(
ALTER FUNCTION {s}.op_transition SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION {s}.op_insert SET plan_cache_mode = force_generic_plan;
)sql";

// Version 5: a purged operation leaves a tombstone while its events are kept,
// so its id cannot silently start a new operation that inherits them (contract §8).
// Operations purged before this version left only events: each such id gets a
// tombstone now, its status and completion from its last kept status event. A
// tombstone counts only while its operation has events (the readers check), so
// one left behind by two purgers racing is harmless.
//
// op_insert: a new operation's events start at 1, and a tombstone refuses the
// id ('Purged', no row; the client reads the tombstone). The tombstone is looked
// for after the insert: an insert that waited on a purge of the same id (ON
// CONFLICT waits for the deleting transaction) sees its tombstone then, in the
// next statement's snapshot, and takes its row back out.
constexpr const char* kV5 = R"sql(
CREATE TABLE {s}.purged_operations (
  id           text        COLLATE "C" PRIMARY KEY,
  name         text        COLLATE "C" NOT NULL,
  status       text        COLLATE "C"
               CHECK (status IN ('Succeeded', 'Failed', 'Canceled')),
  completed_at timestamptz,
  purged_at    timestamptz NOT NULL
);

INSERT INTO {s}.purged_operations (id, name, status, completed_at, purged_at)
SELECT kept.operation_id, '',
       CASE WHEN last.data ->> 'to' IN ('Succeeded', 'Failed', 'Canceled')
            THEN last.data ->> 'to' END,
       last.occurred_at, clock_timestamp()
  FROM (SELECT DISTINCT operation_id FROM {s}.events) AS kept
  LEFT JOIN LATERAL (SELECT s.data, s.occurred_at FROM {s}.events s
                      WHERE s.operation_id = kept.operation_id AND s.kind = 'status'
                      ORDER BY s.sequence DESC LIMIT 1) AS last ON true
 WHERE NOT EXISTS (SELECT 1 FROM {s}.operations o WHERE o.id = kept.operation_id);

CREATE OR REPLACE FUNCTION {s}.op_insert(
    p_id text, p_name text, p_status text,
    p_started_at timestamptz, p_updated_at timestamptz, p_last_progress_at timestamptz,
    p_completed_at timestamptz, p_percent double precision, p_message text,
    p_progress_current bigint, p_progress_total bigint, p_progress_unit text,
    p_correlation jsonb, p_parent_id text, p_tags jsonb,
    p_cancel_requested_at timestamptz, p_cancel_reason text, p_stall_count bigint,
    p_version bigint, p_database_clock boolean,
    p_event_at timestamptz, p_event_kind text, p_event_message text, p_event_data text,
    p_event_key text)
  RETURNS TABLE (outcome text, old_status text, first_sequence bigint, op {s}.operations)
  LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
DECLARE
  v_now timestamptz := CASE WHEN p_database_clock THEN clock_timestamp() END;
  v_row {s}.operations;
BEGIN
  LOOP
    -- ON CONFLICT waits for a concurrent insert of the same id to commit or
    -- abort, so exactly one caller creates the operation.
    INSERT INTO {s}.operations AS o
      (id, name, status, started_at, updated_at, last_progress_at, completed_at, percent,
       message, progress_current, progress_total, progress_unit, correlation, parent_id, tags,
       cancel_requested_at, cancel_reason, stall_count, version, last_sequence)
    VALUES
      (p_id, p_name, p_status, COALESCE(v_now, p_started_at), COALESCE(v_now, p_updated_at),
       COALESCE(v_now, p_last_progress_at), p_completed_at, p_percent, p_message,
       p_progress_current, p_progress_total, p_progress_unit, p_correlation, p_parent_id,
       COALESCE(p_tags, '{}'::jsonb), p_cancel_requested_at, p_cancel_reason, p_stall_count,
       p_version, 1)
    ON CONFLICT (id) DO NOTHING
    RETURNING o.* INTO v_row;
    IF FOUND THEN
      IF EXISTS (SELECT 1 FROM {s}.purged_operations p WHERE p.id = p_id)
         AND EXISTS (SELECT 1 FROM {s}.events e WHERE e.operation_id = p_id) THEN
        DELETE FROM {s}.operations WHERE id = p_id;
        RETURN QUERY SELECT 'Purged'::text, NULL::text, NULL::bigint, NULL::{s}.operations;
        RETURN;
      END IF;
      INSERT INTO {s}.events (operation_id, sequence, occurred_at, kind, message, data_json, event_key)
      VALUES (p_id, 1, COALESCE(v_now, p_event_at), p_event_kind, p_event_message,
              p_event_data, p_event_key);
      RETURN QUERY SELECT 'Created'::text, NULL::text, 1::bigint, v_row;
      RETURN;
    END IF;
    SELECT * INTO v_row FROM {s}.operations WHERE id = p_id;
    IF FOUND THEN
      -- Our own earlier attempt (its reply was lost) is still a creation.
      RETURN QUERY SELECT
        CASE WHEN p_event_key IS NOT NULL AND EXISTS (
               SELECT 1 FROM {s}.events e
                WHERE e.operation_id = p_id AND e.event_key = p_event_key)
             THEN 'Replayed' ELSE 'Exists' END,
        NULL::text, NULL::bigint, v_row;
      RETURN;
    END IF;
    -- The row that conflicted was deleted meanwhile (a purge): insert again.
  END LOOP;
END
$fn$;
)sql";

// The change feed (opsd's poller) lists what was updated since its last poll.
// The stale indexes cover updated_at only for open operations, so that filter
// read the whole table on every poll; this index makes an idle poll a seek.
constexpr const char* kV6 = R"sql(
CREATE INDEX operations_updated_idx ON {s}.operations (updated_at, id);
)sql";

constexpr std::array<Migration, 6> kMigrations{{
    {"operations, events, op_insert, op_transition", kV1},
    {"audit_events; retention indexes", kV2},
    {"operation_tags: tags out of the updated row", kV3},
    {"op_insert, op_transition: generic plans", kV4},
    {"purged_operations: tombstones; op_insert refuses a purged id", kV5},
    {"operations_updated_idx: the change feed", kV6},
}};

std::string substitute(std::string_view sql, std::string_view quoted) {
  std::string out;
  out.reserve(sql.size() + 32 * quoted.size());
  for (std::size_t i = 0; i < sql.size();) {
    if (sql.compare(i, 3, "{s}") == 0) {
      out += quoted;
      i += 3;
    } else {
      out.push_back(sql[i++]);
    }
  }
  return out;
}

}  // namespace

void validate_schema_name(std::string_view schema) {
  const auto rule = "must match [a-z_][a-z0-9_]{0,62} and not start with pg_";
  bool ok = !schema.empty() && schema.size() <= 63 && !schema.starts_with("pg_");
  for (std::size_t i = 0; ok && i < schema.size(); ++i) {
    const char c = schema[i];
    ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
  }
  if (!ok) throw ValidationError("schema", rule);
}

std::string quote_identifier(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::int64_t migration_lock_key(std::string_view schema) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : std::string("incursa.platform.migrate:") + std::string(schema)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(h);
}

int latest_schema_version() noexcept { return static_cast<int>(kMigrations.size()); }

std::string migration_sql(int version, std::string_view schema) {
  return substitute(kMigrations.at(static_cast<std::size_t>(version - 1)).sql,
                    quote_identifier(schema));
}

int migrate(Connection& connection, std::string_view schema, int target) {
  const std::string s = quote_identifier(schema);
  const std::string schema_text(schema);
  const int latest =
      target > 0 ? std::min(target, latest_schema_version()) : latest_schema_version();

  // Most opens find the schema current: answer that without the lock, so a fleet
  // of processes starting together does not queue on it.
  auto current_version = [&]() -> int {
    const Result exists = connection.run(
        "SELECT to_regclass(quote_ident($1::text) || '.schema_migrations') IS NOT NULL",
        {schema_text});
    if (exists.text(0, 0) != "t") return 0;
    const Result max =
        connection.run("SELECT COALESCE(max(version), 0) FROM " + s + ".schema_migrations");
    return static_cast<int>(std::stol(std::string(max.text(0, 0))));
  };
  auto too_new = [&, latest = latest_schema_version()](int found) {
    return PgError({"schema " + schema_text + " is at version " + std::to_string(found) +
                        ", newer than this library's " + std::to_string(latest) +
                        "; upgrade the library",
                    "", false, false});
  };

  int version = current_version();
  if (version == latest) return version;
  if (version > latest) throw too_new(version);

  connection.run_script("BEGIN");
  try {
    connection.run("SELECT pg_advisory_xact_lock($1::bigint)",
                   {std::to_string(migration_lock_key(schema))});
    connection.run_script("CREATE SCHEMA IF NOT EXISTS " + s + "; CREATE TABLE IF NOT EXISTS " + s +
                          ".schema_migrations (version integer PRIMARY KEY, description text NOT "
                          "NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    version = current_version();  // another process may have migrated while we waited
    if (version > latest) throw too_new(version);
    for (int v = version + 1; v <= latest; ++v) {
      connection.run_script(migration_sql(v, schema));
      connection.run("INSERT INTO " + s +
                         ".schema_migrations (version, description) VALUES ($1::integer, $2::text)",
                     {std::to_string(v), kMigrations[static_cast<std::size_t>(v - 1)].description});
    }
    connection.run_script("COMMIT");
  } catch (...) {
    if (PQstatus(connection.handle()) == CONNECTION_OK) {
      try {
        connection.run_script("ROLLBACK");
      } catch (const PgError&) {
        // The connection is dropped by the pool when it is not idle.
      }
    }
    throw;
  }
  return latest;
}

}  // namespace incursa::platform::postgres
