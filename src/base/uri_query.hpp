// The query part of a store URI ("…?a=1&b=two"), shared by the stores' URI
// parsers so they read it alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace incursa::platform::detail {

struct QueryParameter {
  std::string_view text;                  // "name=value" as written
  std::string_view name;                  // as written, not decoded
  std::optional<std::string_view> value;  // absent for a pair without '='
};

// The parameters of `query` (the text after '?'), in order; empty pairs ("a=1&&b=2")
// are skipped.
std::vector<QueryParameter> query_parameters(std::string_view query);

// `text` with each "%XX" (hex) replaced by its byte; a '%' not followed by two
// hex digits is kept as it is.
std::string percent_decode(std::string_view text);

}  // namespace incursa::platform::detail
