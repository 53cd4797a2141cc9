// The store's SQL: each OperationStore primitive as a function of a connection.
//
// The write functions expect to run inside a write transaction the caller owns
// (the Writer's BEGIN IMMEDIATE), so several of them can share one commit; they
// never begin or commit themselves. The read functions run as single statements,
// each of which SQLite reads from one consistent snapshot.
//
// Errors: StoreError only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "incursa/platform/operations/operation_store.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_sql_builder.hpp"

namespace incursa::platform::sqlite {

InsertResult insert_operation(Connection& c, const OperationSnapshot& operation,
                              const NewEvent& created_event);

// Writes `operation` and `events` exactly as given (OperationStore::restore).
// False, writing nothing, when the id exists or events of a purged operation
// with this id are still kept.
bool restore_operation(Connection& c, const OperationSnapshot& operation,
                       const std::vector<OperationEvent>& events);

// Whether restore_operation() would refuse `id`: an operation holds it, or
// events of a purged operation with this id are kept.
bool id_taken(Connection& c, const OperationId& id);

TransitionResult apply_transition(Connection& c, const TransitionRequest& request);

std::optional<OperationSnapshot> select_operation(Connection& c, const OperationId& id);

std::vector<OperationEvent> select_events(Connection& c, const OperationId& id,
                                          std::int64_t after_sequence, std::size_t limit);

std::vector<OperationSnapshot> select_stale(Connection& c, const StaleQuery& query);

// The statement select_stale() runs for `query` (exposed so tests can EXPLAIN it).
SqlBuilder stale_query(const StaleQuery& query);

// The statements of the write path -- insert, transition, event, tag -- exposed
// so tests can EXPLAIN them (none may build a temporary b-tree per run).
std::vector<const char*> write_path_statements();

}  // namespace incursa::platform::sqlite
