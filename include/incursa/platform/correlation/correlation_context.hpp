// CorrelationContext: what ties work in one system to work in another (contract §2).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/id.hpp"

namespace incursa::platform {

struct CorrelationContext {
  CorrelationId correlation_id{};
  std::optional<CorrelationId> causation_id{};
  // W3C trace id (32 lowercase hex) and span id (16 lowercase hex) when known.
  std::optional<std::string> trace_id{};
  std::optional<std::string> span_id{};
  Timestamp created_at{};
  std::map<std::string, std::string> tags{};

  // A new context with a fresh correlation id, created now.
  static CorrelationContext create(const Clock& clock);
  static CorrelationContext create();

  friend bool operator==(const CorrelationContext&, const CorrelationContext&) = default;
};

}  // namespace incursa::platform
