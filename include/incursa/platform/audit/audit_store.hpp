// Where audit events are kept: the audit capability of a store. AuditLog writes
// and reads through it; a store that keeps audit events returns it from
// OperationStore::audit() (the built-in stores all do).
//
// Thread safety: every method may be called from many threads at once.
// Errors: StoreError only; the AuditLog validated the input.
#pragma once

#include <vector>

#include "incursa/platform/audit/audit_event.hpp"

namespace incursa::platform {

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Stores an audit event (and its anchors) in one atomic write. Returns false,
  // writing nothing, when an event with the same id exists.
  virtual bool append_audit_event(const AuditEvent& event) = 0;

  // Audit events matching `query`, newest first (occurred_at, then id, descending).
  virtual std::vector<AuditEvent> query_audit_events(const AuditQuery& query) = 0;
};

}  // namespace incursa::platform
