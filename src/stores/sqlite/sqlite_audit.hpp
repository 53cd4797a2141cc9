// Audit events (contract §6) in the store's file: one row per event, plus one row per
// anchor so "every event about Invoice 42" is an index lookup.
//
// insert_audit_event runs inside the caller's write transaction; the select runs
// as one statement. Errors: StoreError only.
#pragma once

#include <vector>

#include "incursa/platform/audit/audit_event.hpp"
#include "sqlite_connection.hpp"

namespace incursa::platform::sqlite {

// False, writing nothing, when an event with this id exists.
bool insert_audit_event(Connection& c, const AuditEvent& event);

// Newest first (occurred_at, then id, descending), at most query.limit.
std::vector<AuditEvent> select_audit_events(Connection& c, const AuditQuery& query);

}  // namespace incursa::platform::sqlite
