// The operations module's own errors, beside the shared ones (error.hpp).
// Copyable and cheap, like every library error.
#pragma once

#include <string_view>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_status.hpp"
#include "incursa/platform/operations/purged_operation.hpp"

namespace incursa::platform {

// The call is not allowed from the operation's current status (contract §3 table).
class InvalidTransitionError : public Error {
 public:
  InvalidTransitionError(OperationStatus current, std::string_view action);

  OperationStatus current_status() const noexcept { return current_; }

 private:
  OperationStatus current_;
};

// Thrown by start() for an id whose operation was purged while its events are
// still kept: the work with this id was done before, and nothing is written.
// A ConflictError, so a caller that treats "id taken" as "already handled" needs
// no new catch.
class OperationPurgedError : public ConflictError {
 public:
  explicit OperationPurgedError(PurgedOperation purged);

  const PurgedOperation& purged() const noexcept { return purged_; }

 private:
  PurgedOperation purged_;
};

}  // namespace incursa::platform
