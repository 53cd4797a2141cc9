#include "base/validation.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"

namespace incursa::platform::validation {

namespace {

[[noreturn]] void fail(std::string_view field, std::string rule) {
  throw ValidationError(std::string(field), std::move(rule));
}

// Length in code points of text already known to be valid UTF-8.
std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

bool is_name_segment(std::string_view seg) noexcept {
  if (seg.empty() || !detail::is_ascii_alpha(seg.front())) return false;
  for (char c : seg) {
    if (!detail::is_ascii_alnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool is_tag_key(std::string_view key) noexcept {
  if (key.empty() || !detail::is_ascii_alpha(key.front())) return false;
  for (char c : key) {
    if (!detail::is_ascii_alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

std::string operation_name(std::string_view name) {
  if (name.empty()) fail("name", "is required");
  if (name.size() > limits::kMaxNameLength) fail("name", "must be at most 200 characters");
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view seg =
        name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_name_segment(seg)) {
      fail("name",
           "must be dot-separated segments of [A-Za-z][A-Za-z0-9_-]* (e.g. Webhook.Process)");
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::string(name);
}

void name_prefix(std::string_view prefix, std::string_view field) {
  if (prefix.empty() || prefix.size() > limits::kMaxNameLength || !detail::is_valid_utf8(prefix) ||
      detail::has_control_char(prefix)) {
    fail(field, "must be 1-200 characters of text without control characters");
  }
}

void tags(const std::map<std::string, std::string>& tags, std::string_view field) {
  if (tags.size() > limits::kMaxTags) fail(field, "at most 32 tags are allowed");
  for (const auto& [key, value] : tags) {
    const std::string key_field =
        std::string(field) + "[" +
        (detail::is_valid_utf8(key) && !detail::has_control_char(key) ? key : "?") + "]";
    if (key.size() > limits::kMaxTagKeyLength || !is_tag_key(key)) {
      fail(key_field, "tag key must be 1-64 characters of [A-Za-z][A-Za-z0-9_.-]*");
    }
    if (!detail::is_valid_utf8(value)) fail(key_field, "tag value must be valid UTF-8");
    if (detail::has_control_char(value))
      fail(key_field, "tag value must not contain control characters");
    if (utf8_length(value) > limits::kMaxTagValueLength) {
      fail(key_field, "tag value must be at most 256 characters");
    }
  }
}

std::optional<std::string> message(std::optional<std::string_view> text, std::string_view field) {
  if (!text) return std::nullopt;
  if (!detail::is_valid_utf8(*text)) fail(field, "must be valid UTF-8");
  // PostgreSQL's text type cannot hold a NUL: refused on every store alike.
  if (text->find('\0') != std::string_view::npos) fail(field, "must not contain NUL characters");
  const std::string_view trimmed = detail::trim(*text);
  if (trimmed.empty()) return std::nullopt;
  if (trimmed.size() > limits::kMaxMessageBytes) fail(field, "must be at most 1024 bytes");
  return std::string(trimmed);
}

std::string event_kind(std::string_view kind) {
  const std::string_view trimmed = detail::trim(kind);
  if (trimmed.empty()) fail("kind", "is required");
  const bool plain = detail::is_printable_ascii(trimmed);  // the usual case: one pass
  if (!plain && !detail::is_valid_utf8(trimmed)) fail("kind", "must be valid UTF-8");
  if (!plain && detail::has_control_char(trimmed)) {
    fail("kind", "must not contain control characters");
  }
  if ((plain ? trimmed.size() : utf8_length(trimmed)) > limits::kMaxEventKindLength) {
    fail("kind", "must be at most 64 characters");
  }
  return std::string(trimmed);
}

std::optional<std::string> data_json(std::optional<std::string_view> json, std::string_view field) {
  if (!json) return std::nullopt;
  if (json->size() > limits::kMaxDataJsonBytes) fail(field, "must be at most 65536 bytes");
  // Blank is not JSON: "no data" is an absent value, so there is one way to say it.
  if (detail::trim(*json).empty()) fail(field, "must be valid JSON (leave it out for no data)");
  // Most data is plain JSON that a fast scan can vouch for; the rest, valid or
  // not, goes to the full parser.
  if (detail::is_plain_valid_json(*json)) return std::string(*json);
  // accept() stops at an embedded NUL, so a NUL would smuggle trailing bytes past it.
  if (json->find('\0') != std::string_view::npos || !detail::is_valid_utf8(*json) ||
      !nlohmann::json::accept(*json)) {
    fail(field, "must be valid JSON");
  }
  if (!detail::json_depth_within(*json)) fail(field, "must not nest deeper than 64 levels");
  if (detail::has_escaped_nul(*json)) fail(field, "must not contain the escape \\u0000 (NUL)");
  return std::string(*json);
}

void percent(std::optional<double> value) {
  if (value && (!std::isfinite(*value) || *value < 0.0 || *value > 100.0)) {
    fail("percent", "must be a finite number from 0 to 100");
  }
}

void progress(std::int64_t current, std::optional<std::int64_t> total, std::string_view unit) {
  if (current < 0) fail("progress.current", "must not be negative");
  if (total && *total < 0) fail("progress.total", "must not be negative");
  if (!detail::is_valid_utf8(unit) || detail::has_control_char(unit)) {
    fail("progress.unit", "must be valid UTF-8 without control characters");
  }
  if (utf8_length(unit) > limits::kMaxProgressUnitLength) {
    fail("progress.unit", "must be at most 32 characters");
  }
}

void page_size(std::size_t limit, std::size_t max, std::string_view field) {
  if (limit == 0 || limit > max) fail(field, "must be from 1 to " + std::to_string(max));
}

}  // namespace incursa::platform::validation
