// Query parameters of the read endpoints (docs/opsd.md, "List filters").
//
//   status=Running,Stalled   (repeatable; any of them)
//   name=Nightly.Import      name_prefix=Webhook.
//   tag=provider:stripe      (repeatable; all must match; split at the first ':')
//   correlation_id=…  parent_id=…
//   started_from=… started_to=… updated_from=… updated_to=…   (ISO-8601 UTC, half-open)
//   order=newest|oldest   limit=1..1000 (alias page_size)   page_token=…
//
// Unknown parameters are a 400, like unknown body fields: a misspelt filter must
// not silently return everything.
#pragma once

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "incursa/platform/operations/operation_query.hpp"

namespace incursa::platform::opsd {

// The filter parameters above (status … updated_to).
inline constexpr std::array<std::string_view, 10> kFilterParams = {
    "status",    "name",         "name_prefix", "tag",          "correlation_id",
    "parent_id", "started_from", "started_to",  "updated_from", "updated_to"};

// 400 if any parameter is not in `allowed` (nor a filter parameter, with `filters`).
void check_params(const httplib::Request& req, std::initializer_list<std::string_view> allowed,
                  bool filters = false);

OperationFilter filter_from(const httplib::Request& req);

// The filter, plus order, limit (1..max_limit, default 100) and page_token.
OperationQuery list_query_from(const httplib::Request& req, std::size_t max_limit);

// An optional single parameter (a repeat is a 400).
std::optional<std::string> single_param(const httplib::Request& req, const char* name);

// A positive integer parameter in [min, max], or `fallback` when absent.
std::int64_t int_param(const httplib::Request& req, const char* name, std::int64_t fallback,
                       std::int64_t min, std::int64_t max);

// "true" or "false", or `fallback` when absent.
bool bool_param(const httplib::Request& req, const char* name, bool fallback);

// A duration parameter ("30s", "250ms", "1m"), or `fallback` when absent.
std::chrono::milliseconds duration_param(const httplib::Request& req, const char* name,
                                         std::chrono::milliseconds fallback);

}  // namespace incursa::platform::opsd
