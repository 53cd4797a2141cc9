// The audit event validator (contract §6). Reports every problem, in a fixed order,
// with the exact messages of the .NET original for the first four:
//   "Event name is required."
//   "Display message is required."
//   "At least one anchor is required."
//   "DataJson exceeds maximum length of N characters."
// followed by this library's stricter checks (name shape, anchor fields, JSON).
//
// Thread-safe (stateless).
#pragma once

#include <string>
#include <vector>

#include "incursa/platform/audit/audit_event.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform {

struct AuditValidationOptions {
  std::size_t max_data_json_length = 16384;  // characters
};

struct AuditValidationResult {
  std::vector<std::string> errors;
  bool valid() const noexcept { return errors.empty(); }
};

AuditValidationResult validate_audit_event(const AuditEvent& event,
                                           const AuditValidationOptions& options = {});

// Thrown by audit writers for an invalid event; carries every error, in order.
// field() is "audit_event"; rule() joins the errors with a space.
class AuditValidationError : public ValidationError {
 public:
  explicit AuditValidationError(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const noexcept { return errors_; }

 private:
  std::vector<std::string> errors_;
};

}  // namespace incursa::platform
