#include "incursa/platform/error.hpp"

#include <string>

namespace incursa::platform {

ValidationError::ValidationError(std::string field, std::string rule)
    : Error(field + ": " + rule), field_(std::move(field)), rule_(std::move(rule)) {}

}  // namespace incursa::platform
