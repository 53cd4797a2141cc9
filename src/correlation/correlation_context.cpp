// CorrelationContext factories.
#include "incursa/platform/correlation/correlation_context.hpp"

namespace incursa::platform {

CorrelationContext CorrelationContext::create(const Clock& clock) {
  // One reading of the clock feeds both the id's time prefix and created_at, so
  // the two agree about when the context was made.
  const Timestamp now = truncate_to_micros(clock.now());
  // Every field is spelled out: GCC's -Wmissing-field-initializers (an error under
  // -Werror) fires for any left out, designated or not.
  return CorrelationContext{.correlation_id = CorrelationId::generate(now),
                            .causation_id = std::nullopt,
                            .trace_id = std::nullopt,
                            .span_id = std::nullopt,
                            .created_at = now,
                            .tags = {}};
}

CorrelationContext CorrelationContext::create() { return create(SystemClock{}); }

}  // namespace incursa::platform
