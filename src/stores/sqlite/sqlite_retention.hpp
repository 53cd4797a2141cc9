// Retention (contract §8): finding and deleting finished operations and old events.
//
// The deletes run inside the caller's write transaction and re-check each row
// there, so a row that changed since it was found is left alone. Events of a
// deleted operation stay until delete_old_events removes them (events are
// evidence with their own keep period), and so does its tombstone, the row in
// purged_operations that keeps its id from starting afresh meanwhile. Errors:
// StoreError only.
#pragma once

#include <cstddef>
#include <vector>

#include "incursa/platform/operations/operation_store.hpp"
#include "sqlite_connection.hpp"

namespace incursa::platform::sqlite {

std::vector<PurgeCandidate> select_purgeable(Connection& c, const PurgeRequest& request);

std::vector<OperationId> delete_purgeable(Connection& c, const std::vector<OperationId>& ids,
                                          const PurgeRequest& request);

// Deletes up to `limit` old events of finished or purged operations, and the
// tombstone of each purged operation whose last event went with them.
std::size_t delete_old_events(Connection& c, Timestamp cutoff, std::size_t limit);

// The tombstone of `id` (purged_operations, schema version 4), if it has one.
std::optional<PurgedOperation> select_purged(Connection& c, const OperationId& id);

}  // namespace incursa::platform::sqlite
