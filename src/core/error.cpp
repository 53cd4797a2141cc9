#include "incursa/platform/error.hpp"

#include <string>

namespace incursa::platform {

ValidationError::ValidationError(std::string field, std::string rule)
    : Error(field + ": " + rule), field_(std::move(field)), rule_(std::move(rule)) {}

InvalidTransitionError::InvalidTransitionError(OperationStatus current, std::string_view action)
    : Error("cannot " + std::string(action) + " an operation that is " +
            std::string(to_string(current))),
      current_(current) {}

}  // namespace incursa::platform
