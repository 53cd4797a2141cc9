// The input rules of the operations module's own value types, on top of the
// shared rules (base/validation.hpp).
#pragma once

#include <optional>

#include "base/validation.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform::validation {

inline void progress(const std::optional<StructuredProgress>& p) {
  if (p) progress(p->current, p->total, p->unit);
}

}  // namespace incursa::platform::validation
