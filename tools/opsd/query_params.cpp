#include "query_params.hpp"

#include <algorithm>
#include <charconv>

#include "api_error.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/stall_policy.hpp"

namespace incursa::platform::opsd {

namespace {

[[noreturn]] void bad_param(const std::string& name, const std::string& rule) {
  throw ApiError(400, "invalid_argument", name + ": " + rule, name);
}

std::optional<Timestamp> time_param(const httplib::Request& req, const char* name) {
  auto text = single_param(req, name);
  if (!text) return std::nullopt;
  return parse_iso8601(*text, name);
}

}  // namespace

void check_params(const httplib::Request& req, std::initializer_list<std::string_view> allowed,
                  bool filters) {
  for (const auto& [key, value] : req.params) {
    const bool known = std::find(allowed.begin(), allowed.end(), key) != allowed.end() ||
                       (filters && std::find(kFilterParams.begin(), kFilterParams.end(), key) !=
                                       kFilterParams.end());
    if (!known) bad_param(key, "is not a parameter of this endpoint");
  }
}

std::optional<std::string> single_param(const httplib::Request& req, const char* name) {
  const std::size_t n = req.get_param_value_count(name);
  if (n == 0) return std::nullopt;
  if (n > 1) bad_param(name, "may be given once");
  return req.get_param_value(name);
}

std::int64_t int_param(const httplib::Request& req, const char* name, std::int64_t fallback,
                       std::int64_t min, std::int64_t max) {
  auto text = single_param(req, name);
  if (!text) return fallback;
  std::int64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) {
    bad_param(name,
              "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

bool bool_param(const httplib::Request& req, const char* name, bool fallback) {
  auto text = single_param(req, name);
  if (!text) return fallback;
  if (*text != "true" && *text != "false") bad_param(name, "must be true or false");
  return *text == "true";
}

std::chrono::milliseconds duration_param(const httplib::Request& req, const char* name,
                                         std::chrono::milliseconds fallback) {
  auto text = single_param(req, name);
  if (!text) return fallback;
  return std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(*text, name));
}

OperationFilter filter_from(const httplib::Request& req) {
  OperationFilter f;
  const std::size_t statuses = req.get_param_value_count("status");
  for (std::size_t i = 0; i < statuses; ++i) {
    const std::string value = req.get_param_value("status", i);
    std::size_t start = 0;
    while (start <= value.size()) {
      const std::size_t comma = std::min(value.find(',', start), value.size());
      const std::string word = value.substr(start, comma - start);
      if (!word.empty()) f.statuses = f.statuses.with(parse_operation_status(word, "status"));
      start = comma + 1;
    }
  }
  f.name = single_param(req, "name");
  f.name_prefix = single_param(req, "name_prefix");
  const std::size_t tags = req.get_param_value_count("tag");
  for (std::size_t i = 0; i < tags; ++i) {
    const std::string value = req.get_param_value("tag", i);
    const auto colon = value.find(':');
    if (colon == std::string::npos || colon == 0) bad_param("tag", "must be key:value");
    f.tags[value.substr(0, colon)] = value.substr(colon + 1);
  }
  if (auto v = single_param(req, "correlation_id")) f.correlation_id = CorrelationId::parse(*v);
  if (auto v = single_param(req, "parent_id")) f.parent_id = OperationId::parse(*v);
  f.started_from = time_param(req, "started_from");
  f.started_to = time_param(req, "started_to");
  f.updated_from = time_param(req, "updated_from");
  f.updated_to = time_param(req, "updated_to");
  return f;
}

OperationQuery list_query_from(const httplib::Request& req, std::size_t max_limit) {
  OperationQuery q;
  q.filter = filter_from(req);
  if (auto order = single_param(req, "order")) {
    if (*order == "newest") {
      q.order = ListOrder::NewestFirst;
    } else if (*order == "oldest") {
      q.order = ListOrder::OldestFirst;
    } else {
      bad_param("order", "must be newest or oldest");
    }
  }
  if (req.has_param("limit") && req.has_param("page_size")) {
    bad_param("page_size", "give limit or page_size, not both");
  }
  const char* limit_name = req.has_param("page_size") ? "page_size" : "limit";
  q.limit = static_cast<std::size_t>(
      int_param(req, limit_name, 100, 1, static_cast<std::int64_t>(max_limit)));
  q.page_token = single_param(req, "page_token");
  return q;
}

}  // namespace incursa::platform::opsd
