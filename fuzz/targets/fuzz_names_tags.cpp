// Operation names and tags (contract §7): validation::operation_name, validation::tags
// and tags_from_json (the tags column / import encoding).
//
// Properties: a name is accepted exactly when an independent oracle says it is
// 1-200 characters of dot-separated [A-Za-z][A-Za-z0-9_-]* segments, and comes
// back unchanged; tags are accepted exactly when the oracle agrees (at most 32;
// keys 1-64 of [A-Za-z][A-Za-z0-9_.-]*; values valid UTF-8, no control characters,
// at most 256 code points); accepted tags survive to_json/tags_from_json; every
// rejection is a ValidationError whose field names the name or the tags.
#include <cstdint>

#include "base/text.hpp"
#include "base/validation.hpp"
#include "fuzz_check.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json.hpp"

namespace {

using namespace incursa::platform;

bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

bool oracle_name(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  bool segment_start = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    if (segment_start ? !alpha(c) : !(alpha(c) || digit(c) || c == '_' || c == '-')) return false;
    segment_start = false;
  }
  return !segment_start;
}

bool oracle_key(std::string_view key) {
  if (key.empty() || key.size() > 64 || !alpha(key.front())) return false;
  for (char c : key) {
    if (!(alpha(c) || digit(c) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

bool oracle_value(std::string_view value) {
  if (!detail::is_valid_utf8(value)) return false;
  std::size_t code_points = 0;
  for (char c : value) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) return false;
    if ((b & 0xC0) != 0x80) ++code_points;
  }
  return code_points <= 256;
}

void check_name(std::string_view name) {
  const bool expected = oracle_name(name);
  try {
    const std::string out = validation::operation_name(name);
    FUZZ_CHECK(expected);
    FUZZ_CHECK(out == name);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(!expected);
    FUZZ_CHECK(e.field() == "name");
  }
}

void check_tags(const Tags& tags) {
  bool expected = tags.size() <= 32;
  for (const auto& [key, value] : tags)
    expected = expected && oracle_key(key) && oracle_value(value);
  try {
    validation::tags(tags, "tags");
    FUZZ_CHECK(expected);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(!expected);
    FUZZ_CHECK(e.field().rfind("tags", 0) == 0);
    // The field quotes the key only when it is printable UTF-8.
    FUZZ_CHECK(!detail::has_control_char(e.field()) && detail::is_valid_utf8(e.field()));
    return;
  }
  FUZZ_CHECK(tags_from_json(to_json(tags)) == tags);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  incursa::fuzz::Reader in(incursa::fuzz::as_text(data, size));
  // First line: an operation name. Then key=value tag lines.
  check_name(in.field('\n'));
  Tags tags;
  while (!in.empty()) {
    const std::string_view line = in.field('\n');
    const std::size_t eq = line.find('=');
    tags[std::string(line.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : std::string(line.substr(eq + 1));
  }
  check_tags(tags);
  return 0;
}
