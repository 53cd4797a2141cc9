// The read-mostly side beyond the five primitives: list and count with filters,
// audit events, and the retention purge. Each query is built for the filters
// actually given (a statement per shape, prepared on first use and named after
// its shape), with every value bound as a parameter.
//
// Pure functions; thread-safe. Decoders throw PgError on rows the server would
// never send.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "incursa/platform/audit/audit_event.hpp"
#include "incursa/platform/operations/operation_query.hpp"
#include "incursa/platform/operations/operation_store.hpp"
#include "pg_connection.hpp"

namespace incursa::platform::postgres {

struct BuiltQuery {
  Statement statement;
  Params params;
};

BuiltQuery list_query(const std::string& schema, const ListRequest& request);
BuiltQuery count_query(const std::string& schema, const OperationFilter& filter);
// Per status of the filter (every status when it names none), a count of at
// most `limit` matching rows: one LIMITed scan per status. Same rows as
// count_query, for decode_counts.
BuiltQuery bounded_count_query(const std::string& schema, const OperationFilter& filter,
                               std::int64_t limit);
StatusCounts decode_counts(const Result& result);

// One INSERT … ON CONFLICT DO NOTHING; returns a row ("t") only when it created it.
BuiltQuery audit_insert(const std::string& schema, const AuditEvent& event);
// The stored event with this id (to recognise a retried write of the same event).
BuiltQuery audit_get(const std::string& schema, const AuditEventId& id);
BuiltQuery audit_query(const std::string& schema, const AuditQuery& query);
std::vector<AuditEvent> decode_audit_events(const Result& result);

// One statement for a batch of any size: each operation whose id is free (ON
// CONFLICT DO NOTHING, and no kept events) and the events of those inserted.
// Returns a row per operation inserted: its id.
BuiltQuery restore_query(const std::string& schema, std::span<const RestoreRecord> batch);
// Returns, in the order given, the ids that restore_query would refuse.
BuiltQuery taken_query(const std::string& schema, std::span<const OperationId> ids);

BuiltQuery purgeable_query(const std::string& schema, const PurgeRequest& request);
std::vector<PurgeCandidate> decode_purgeable(const Result& result);
BuiltQuery delete_operations_query(const std::string& schema, const std::vector<OperationId>& ids,
                                   const PurgeRequest& request);
std::vector<OperationId> decode_ids(const Result& result);
// Returns one row: how many events it deleted.
BuiltQuery delete_events_query(const std::string& schema, Timestamp cutoff, std::size_t limit);
// The tombstone of `id`, if it has one (purged_operations, schema version 5).
BuiltQuery purged_query(const std::string& schema, const OperationId& id);
std::optional<PurgedOperation> decode_purged(const Result& result, const OperationId& id);

}  // namespace incursa::platform::postgres
