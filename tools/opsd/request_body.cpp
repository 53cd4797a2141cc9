#include "request_body.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "api_error.hpp"

namespace incursa::platform::opsd {

using nlohmann::json;

namespace {

[[noreturn]] void bad_field(const std::string& field, const std::string& rule) {
  throw ApiError(400, "invalid_argument", field + ": " + rule, field);
}

bool is_json_media_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  std::string type(content_type.substr(0, semi));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type == "application/json";
}

std::int64_t integer(const json& v, const std::string& field) {
  if (!v.is_number_integer()) bad_field(field, "must be an integer");
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    bad_field(field, "must be a 64-bit integer");
  }
  return v.get<std::int64_t>();
}

}  // namespace

RequestBody::RequestBody(const httplib::Request& req, const std::string& text,
                         std::initializer_list<std::string_view> allowed, bool allow_empty) {
  const bool blank =
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
  if (blank) {
    if (!allow_empty) throw ApiError(400, "malformed_body", "a JSON object body is required");
    body_ = json::object();
    return;
  }
  if (req.has_header("Content-Type") && !is_json_media_type(req.get_header_value("Content-Type"))) {
    throw ApiError(415, "unsupported_media_type", "the body must be application/json");
  }
  // Nesting is capped while parsing (the parser itself is iterative): re-serialising
  // a deeper value, as raw() does, recurses once per level and could overflow the
  // stack. One level for the body object, plus the library's 64 for data JSON.
  constexpr int kMaxBodyDepth = 1 + 64;
  const json::parser_callback_t limit_depth = [](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxBodyDepth) {
      throw ApiError(400, "malformed_body", "the body nests deeper than 65 levels");
    }
    return true;
  };
  body_ = json::parse(text, limit_depth, /*allow_exceptions=*/false);
  if (body_.is_discarded()) throw ApiError(400, "malformed_body", "the body is not valid JSON");
  if (!body_.is_object()) throw ApiError(400, "malformed_body", "the body must be a JSON object");
  for (const auto& [key, value] : body_.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      bad_field(key, "is not a field of this request");
    }
  }
}

const json* RequestBody::find(const char* key) const {
  const auto it = body_.find(key);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool RequestBody::has(const char* key) const { return find(key) != nullptr; }

std::optional<std::string> RequestBody::string(const char* key) const {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) bad_field(key, "must be a string");
  return v->get<std::string>();
}

std::string RequestBody::required_string(const char* key) const {
  auto v = string(key);
  if (!v) bad_field(key, "is required");
  return *v;
}

std::optional<double> RequestBody::number(const char* key) const {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) bad_field(key, "must be a number");
  return v->get<double>();
}

std::optional<Tags> RequestBody::tags(const char* key) const {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) bad_field(key, "must be an object of strings");
  Tags tags;
  for (const auto& [k, value] : v->items()) {
    if (!value.is_string()) bad_field(key, "must be an object of strings");
    tags.emplace(k, value.get<std::string>());
  }
  return tags;
}

std::optional<StructuredProgress> RequestBody::progress(const char* key) const {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) bad_field(key, "must be an object {current, total, unit}");
  for (const auto& [k, value] : v->items()) {
    if (k != "current" && k != "total" && k != "unit") {
      bad_field(std::string(key) + "." + k, "is not a field of progress");
    }
  }
  StructuredProgress p;
  const auto current = v->find("current");
  if (current == v->end() || current->is_null()) bad_field("progress.current", "is required");
  p.current = integer(*current, "progress.current");
  if (const auto total = v->find("total"); total != v->end() && !total->is_null()) {
    p.total = integer(*total, "progress.total");
  }
  if (const auto unit = v->find("unit"); unit != v->end() && !unit->is_null()) {
    if (!unit->is_string()) bad_field("progress.unit", "must be a string");
    p.unit = unit->get<std::string>();
  }
  return p;
}

std::optional<std::string> RequestBody::raw(const char* key) const {
  const json* v = find(key);
  if (!v) return std::nullopt;
  return v->dump();
}

}  // namespace incursa::platform::opsd
