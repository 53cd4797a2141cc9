// Small text helpers shared by the core's parsers and validators.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace incursa::platform::detail {

constexpr bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

constexpr bool is_ascii_alpha(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_ascii_alnum(char c) noexcept { return is_ascii_alpha(c) || is_ascii_digit(c); }
constexpr bool is_lower_hex(char c) noexcept { return is_ascii_digit(c) || (c >= 'a' && c <= 'f'); }

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// `text` with ASCII letters lowercased; other bytes as they are.
std::string ascii_lower(std::string_view text);

// Equal ignoring ASCII case; bytes outside ASCII must match exactly.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// True if every byte of `s` is printable ASCII (0x20-0x7E): then it is valid
// UTF-8, has no control character, and has as many characters as bytes.
bool is_printable_ascii(std::string_view s) noexcept;

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// True if `s` contains an ASCII control character (< 0x20 or 0x7F).
bool has_control_char(std::string_view s) noexcept;

}  // namespace incursa::platform::detail

namespace incursa::platform::detail {

// Makes arbitrary text (an exception's what(), say) acceptable as a message:
// invalid UTF-8 bytes and NULs become '?', and it is cut at a character boundary to fit
// `max_bytes`, ending in "..." when cut.
std::string to_message_text(std::string_view text, std::size_t max_bytes);

// Nesting limit for JSON the library reads from callers: deep enough for any real
// payload, shallow enough that recursive code (serialisers, scrubbers) and
// sanitizer-sized stacks never overflow on hostile input.
inline constexpr std::size_t kMaxJsonDepth = 64;

// True if no array or object in `json` nests deeper than `max_depth` (strings
// are skipped, so brackets inside them do not count). Does not check validity.
bool json_depth_within(std::string_view json, std::size_t max_depth = kMaxJsonDepth) noexcept;

// A fast scan for the plain cases of JSON: true only if `json` is certainly
// valid JSON (RFC 8259, as nlohmann::json::accept judges it) nesting at most
// kMaxJsonDepth levels. It handles ASCII text without \u escapes and numbers of
// at most 15 digits without an exponent; for anything else, and for anything
// invalid, it returns false, meaning "not sure: ask the full parser".
bool is_plain_valid_json(std::string_view json) noexcept;

// True if `json` (already known to be valid JSON) holds the escape \u0000 in a
// string or key: JSON allows it, but PostgreSQL's text and jsonb cannot store
// a NUL, so the library refuses it on every store.
bool has_escaped_nul(std::string_view json) noexcept;

// Appends `text` (valid UTF-8) to `out` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

}  // namespace incursa::platform::detail
