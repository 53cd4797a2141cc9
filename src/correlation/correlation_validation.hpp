// The rules for a CorrelationContext (contract §2, §7), on top of the shared rules
// in base/validation.hpp: a correlation id, a non-empty causation id when given,
// W3C trace and span ids, and tags by the tag rules. Throws ValidationError
// naming the field ("correlation.<field>").
#pragma once

#include "incursa/platform/correlation/correlation_context.hpp"

namespace incursa::platform::validation {

void correlation(const CorrelationContext& context);

}  // namespace incursa::platform::validation
