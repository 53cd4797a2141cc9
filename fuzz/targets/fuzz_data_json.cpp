// Event data JSON (contract §7): validation::data_json, with its 64 KiB and
// 64-level nesting limits.
//
// Properties, checked against nlohmann's own parser as the oracle:
//   - accepted text is valid JSON (parses with nlohmann), valid UTF-8, holds no
//     NUL (raw, or escaped as \u0000 in a string or key), is at most 65536
//     bytes and nests no deeper than 64 levels, and comes back unchanged;
//   - text that nlohmann accepts, within size and depth and without a NUL, is
//     accepted; blank text is not JSON, so it is refused;
//   - json_depth_within agrees with the depth nlohmann's SAX events give;
//   - every rejection is a ValidationError naming the field.
#include <cstdint>
#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "base/validation.hpp"
#include "fuzz_check.hpp"
#include "incursa/platform/error.hpp"

namespace {

using namespace incursa::platform;

// Maximum array/object nesting, from nlohmann's SAX events (only called on valid JSON).
struct DepthSax : nlohmann::json_sax<nlohmann::json> {
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  bool decoded_nul = false;  // a string or key that decodes to one holding NUL
  bool note_nul(const string_t& s) {
    if (s.find('\0') != string_t::npos) decoded_nul = true;
    return true;
  }
  bool enter() {
    ++depth;
    if (depth > max_depth) max_depth = depth;
    return true;
  }
  bool leave() {
    --depth;
    return true;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t& s) override { return note_nul(s); }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return enter(); }
  bool key(string_t& s) override { return note_nul(s); }
  bool end_object() override { return leave(); }
  bool start_array(std::size_t) override { return enter(); }
  bool end_array() override { return leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

bool blank_text(std::string_view s) { return incursa::platform::detail::trim(s).empty(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = incursa::fuzz::as_text(data, size);

  // The oracle: does nlohmann accept it, and how deep is it?
  DepthSax sax;
  const bool has_nul = text.find('\0') != std::string_view::npos;
  const bool utf8 = incursa::platform::detail::is_valid_utf8(text);
  const bool parses = !has_nul && nlohmann::json::sax_parse(text, &sax);
  if (parses) {
    FUZZ_CHECK(incursa::platform::detail::json_depth_within(text, sax.max_depth));
    if (sax.max_depth > 0) {
      FUZZ_CHECK(!incursa::platform::detail::json_depth_within(text, sax.max_depth - 1));
    }
  }

  std::optional<std::string> accepted;
  try {
    accepted = validation::data_json(text, "data_json");
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field() == "data_json");
    // Only refused when one of the rules is really broken.
    FUZZ_CHECK(text.size() > 65536 || !parses || !utf8 || sax.max_depth > 64 || sax.decoded_nul);
    return 0;
  }
  FUZZ_CHECK(!blank_text(text));
  FUZZ_CHECK(!sax.decoded_nul);
  FUZZ_CHECK(accepted.has_value());
  FUZZ_CHECK(*accepted == text);
  FUZZ_CHECK(text.size() <= 65536);
  FUZZ_CHECK(parses && utf8 && !has_nul);
  FUZZ_CHECK(sax.max_depth <= 64);
  // What is stored must re-serialise without throwing (dump recursion is bounded).
  const nlohmann::json value = nlohmann::json::parse(text);
  const std::string dumped = value.dump();
  FUZZ_CHECK(nlohmann::json::parse(dumped) == value);
  return 0;
}
