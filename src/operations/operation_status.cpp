#include "incursa/platform/operations/operation_status.hpp"

#include <array>

#include "base/text.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform {

namespace {
constexpr std::array<std::string_view, kOperationStatusCount> kNames{
    "Pending", "Running", "Succeeded", "Failed", "Canceled", "Stalled"};
}  // namespace

std::string_view to_string(OperationStatus status) noexcept {
  const auto index = static_cast<std::size_t>(status);
  return index < kNames.size() ? kNames[index] : std::string_view("Unknown");
}

OperationStatus parse_operation_status(std::string_view text, std::string_view field) {
  const std::string_view trimmed = detail::trim(text);
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (trimmed == kNames[i]) return static_cast<OperationStatus>(i);
  }
  throw ValidationError(std::string(field),
                        "must be one of Pending, Running, Succeeded, Failed, Canceled, Stalled");
}

}  // namespace incursa::platform
