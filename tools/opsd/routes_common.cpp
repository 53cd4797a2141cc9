#include <algorithm>
#include <cctype>

#include "incursa/platform/correlation/correlation_headers.hpp"
#include "incursa/platform/correlation/traceparent.hpp"
#include "routes.hpp"

namespace incursa::platform::opsd {

OperationId path_id(const httplib::Request& req) {
  return OperationId::parse(req.matches[1].str());
}

std::optional<CorrelationContext> correlation_from(const httplib::Request& req,
                                                   const Clock& clock) {
  HeaderList headers;
  for (const auto& [name, value] : req.headers) {
    // Only the X-… headers can carry correlation; the rest need not be copied.
    if (name.size() > 2 && (name[0] == 'x' || name[0] == 'X') && name[1] == '-') {
      headers.emplace_back(name, value);
    }
  }
  std::optional<CorrelationContext> ctx = from_headers(headers);
  // Without X-Correlation-Created-At the context was created by this request.
  if (ctx && ctx->created_at == Timestamp{}) ctx->created_at = truncate_to_micros(clock.now());
  if (req.has_header(std::string(kTraceParentHeader))) {
    const TraceParent parent =
        parse_traceparent(req.get_header_value(std::string(kTraceParentHeader)));
    if (!ctx) {
      CorrelationContext created;
      created.correlation_id = CorrelationId::parse(parent.trace_id);
      created.created_at = truncate_to_micros(clock.now());
      ctx = std::move(created);
    }
    apply_traceparent(*ctx, parent);
  }
  return ctx;
}

}  // namespace incursa::platform::opsd
