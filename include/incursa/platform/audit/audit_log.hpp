// Writing and reading audit events.
//
// AuditEventWriter / AuditEventReader are the interfaces services code against;
// AuditLog is the standard implementation over a store's audit capability
// (audit_store.hpp): audit events live in the same file or database as the
// operations.
//
//   AuditLog audit(audit_store(store));   // store: a std::shared_ptr<OperationStore>
//
// Thread safety: AuditLog is safe to share between threads.
// Errors: write() throws AuditValidationError (a ValidationError) listing every
// problem, writing nothing; ConflictError when the id is already used;
// StoreError for store trouble. query() throws ValidationError for a bad query.
#pragma once

#include <memory>
#include <vector>

#include "incursa/platform/audit/audit_event.hpp"
#include "incursa/platform/audit/audit_store.hpp"
#include "incursa/platform/audit/audit_validator.hpp"
#include "incursa/platform/clock.hpp"
#include "incursa/platform/privacy/scrubber.hpp"

namespace incursa::platform {

class AuditEventWriter {
 public:
  virtual ~AuditEventWriter() = default;
  // Validates and stores `event`. An empty id is filled with a new one and an
  // unset occurred_at (the epoch) with the clock's now; anchors and names are
  // trimmed. Returns the event as stored.
  virtual AuditEvent write(AuditEvent event) = 0;
};

class AuditEventReader {
 public:
  virtual ~AuditEventReader() = default;
  virtual std::vector<AuditEvent> query(const AuditQuery& query) = 0;
};

struct AuditLogOptions {
  std::shared_ptr<const Clock> clock{};  // default: SystemClock
  AuditValidationOptions validation{};
  // Applied to the display message and data JSON after validation (privacy/scrubber.hpp).
  std::shared_ptr<const Scrubber> scrubber{};
};

class AuditLog final : public AuditEventWriter, public AuditEventReader {
 public:
  // Throws std::invalid_argument if `store` is null.
  explicit AuditLog(std::shared_ptr<AuditStore> store, AuditLogOptions options = {});

  AuditEvent write(AuditEvent event) override;
  std::vector<AuditEvent> query(const AuditQuery& query) override;

 private:
  std::shared_ptr<AuditStore> store_;
  std::shared_ptr<const Clock> clock_;
  AuditValidationOptions validation_;
  std::shared_ptr<const Scrubber> scrubber_;
};

}  // namespace incursa::platform
