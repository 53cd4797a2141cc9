#include "correlation/correlation_validation.hpp"

#include <string>

#include "base/text.hpp"
#include "base/validation.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform::validation {

namespace {

// W3C: lowercase hex of the exact length, and never all zeros.
bool is_hex_id(const std::string& s, std::size_t length) {
  if (s.size() != length || s.find_first_not_of('0') == std::string::npos) return false;
  for (char ch : s) {
    if (!detail::is_lower_hex(ch)) return false;
  }
  return true;
}

}  // namespace

void correlation(const CorrelationContext& c) {
  if (c.correlation_id.empty()) {
    throw ValidationError("correlation.correlation_id", "is required");
  }
  if (c.causation_id && c.causation_id->empty()) {
    throw ValidationError("correlation.causation_id", "must not be empty when given");
  }
  if (c.trace_id && !is_hex_id(*c.trace_id, 32)) {
    throw ValidationError("correlation.trace_id",
                          "must be 32 lowercase hex characters, not all zero");
  }
  if (c.span_id && !is_hex_id(*c.span_id, 16)) {
    throw ValidationError("correlation.span_id",
                          "must be 16 lowercase hex characters, not all zero");
  }
  tags(c.tags, "correlation.tags");
}

}  // namespace incursa::platform::validation
