// Durations and times as typed on a command line or in a query string
// (tools/common durations.hpp, platform::parse_duration, parse_iso8601).
//
// Properties:
//   - parse_duration accepts exactly sequences of <1-12 digits><ms|s|m|h|d>
//     (checked by an independent oracle that sums them), never more than 100
//     years and never negative; parse_duration_arg agrees and names the option;
//   - format_duration never throws and is exact below a second and for whole
//     seconds below a minute (parse_duration(format_duration(d)) == d);
//   - parse_iso8601: a parsed time formats (format_iso8601) to text that parses
//     back to the same time, and the format is canonical (a fixed point);
//   - parse_time_arg: ISO text (contains 'T') gives parse_iso8601's answer, other
//     text gives now - duration;
//   - every rejection is a ValidationError naming the option or field.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#include "fuzz_check.hpp"
#include "incursa/platform/clock.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/stall_policy.hpp"
#include "incursa/tools/durations.hpp"

namespace {

using namespace incursa::platform;
using incursa::platform::tools::Duration;

constexpr std::int64_t kMaxMs = 100LL * 365 * 24 * 3600 * 1000;

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// nullopt: not a duration. Otherwise the total in ms (possibly over the cap).
std::optional<std::int64_t> oracle_duration(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::int64_t n = 0;
    std::size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + (s[i++] - '0');
      if (++digits > 12) return std::nullopt;
    }
    if (digits == 0) return std::nullopt;
    const std::size_t u = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
    const std::string_view unit = s.substr(u, i - u);
    std::int64_t ms = 0;
    if (unit == "ms")
      ms = 1;
    else if (unit == "s")
      ms = 1000;
    else if (unit == "m")
      ms = 60'000;
    else if (unit == "h")
      ms = 3'600'000;
    else if (unit == "d")
      ms = 86'400'000;
    else
      return std::nullopt;
    // Saturate once over the cap (12 digits of days would overflow 64 bits).
    total = n > kMaxMs / ms ? kMaxMs + 1 : std::min(total + n * ms, kMaxMs + 1);
  }
  return total;
}

void check_duration(std::string_view text) {
  const std::optional<std::int64_t> expected = oracle_duration(text);
  std::optional<Duration> got;
  try {
    got = parse_duration(text, "dur");
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field() == "dur");
    FUZZ_CHECK(!expected || *expected > kMaxMs);
  }
  if (got) {
    FUZZ_CHECK(expected && *expected <= kMaxMs);
    FUZZ_CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(*got).count() == *expected);
    FUZZ_CHECK(*got >= Duration::zero());
    const std::string shown = incursa::platform::tools::format_duration(*got);
    FUZZ_CHECK(!shown.empty());
    // Exact below a second ("850ms") and for whole seconds below a minute ("12s").
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*got).count();
    if (ms < 1000 || (ms % 1000 == 0 && ms < 60'000)) FUZZ_CHECK(parse_duration(shown) == *got);
    // Negative durations format with a leading '-'.
    FUZZ_CHECK(*got == Duration::zero() ||
               incursa::platform::tools::format_duration(-*got) == "-" + shown);
  }
  try {
    const Duration d = incursa::platform::tools::parse_duration_arg(text, "--for");
    FUZZ_CHECK(got && d == *got);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(!got);
    FUZZ_CHECK(e.field().rfind("--for '", 0) == 0);
  }
}

std::optional<Timestamp> check_iso(std::string_view text) {
  Timestamp t;
  try {
    t = parse_iso8601(text, "at");
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field() == "at");
    return std::nullopt;
  }
  FUZZ_CHECK(truncate_to_micros(t) == t);  // at most 6 fraction digits are kept
  const std::string shown = format_iso8601(t);
  FUZZ_CHECK(shown.size() == 27 && shown.back() == 'Z');
  FUZZ_CHECK(parse_iso8601(shown, "at") == t);
  FUZZ_CHECK(format_iso8601(parse_iso8601(shown, "at")) == shown);
  (void)incursa::platform::tools::format_time(t);
  return t;
}

void check_time_arg(std::string_view text, const std::optional<Timestamp>& iso) {
  // A fixed "now" well inside the representable range.
  const Timestamp now = Timestamp(std::chrono::seconds(1'767'225'600));  // 2026-01-01
  try {
    const Timestamp t = incursa::platform::tools::parse_time_arg(text, "--since", now);
    if (text.find('T') != std::string_view::npos) {
      FUZZ_CHECK(iso && t == *iso);
    } else {
      FUZZ_CHECK(t == now - parse_duration(text));
    }
    (void)incursa::platform::tools::format_relative(t, now);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field().rfind("--since '", 0) == 0);
    if (text.find('T') != std::string_view::npos) FUZZ_CHECK(!iso);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = incursa::fuzz::as_text(data, size);
  check_duration(text);
  const std::optional<Timestamp> iso = check_iso(text);
  check_time_arg(text, iso);
  if (size >= 8) {
    // Any Duration formats without throwing or overflowing (including the minimum).
    incursa::fuzz::Reader in(text);
    const auto ticks = static_cast<Duration::rep>(in.u64());
    FUZZ_CHECK(!incursa::platform::tools::format_duration(Duration(ticks)).empty());
  }
  return 0;
}
