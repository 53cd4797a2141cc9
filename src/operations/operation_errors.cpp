#include "incursa/platform/operations/operation_errors.hpp"

#include <string>

namespace incursa::platform {

InvalidTransitionError::InvalidTransitionError(OperationStatus current, std::string_view action)
    : Error("cannot " + std::string(action) + " an operation that is " +
            std::string(to_string(current))),
      current_(current) {}

OperationPurgedError::OperationPurgedError(PurgedOperation purged)
    : ConflictError("operation " + purged.id.value() + " was " +
                    (purged.status ? std::string(to_string(*purged.status)) + " and " : "") +
                    "purged at " + format_iso8601(purged.purged_at) +
                    "; its events are still kept, so the id cannot start a new operation until "
                    "retention removes them"),
      purged_(std::move(purged)) {}

}  // namespace incursa::platform
