#include "incursa/tools/durations.hpp"

#include <cstdint>
#include <string>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/stall_policy.hpp"

namespace incursa::platform::tools {

namespace {

using std::chrono::duration_cast;

std::string quoted_option(std::string_view option, std::string_view text) {
  return std::string(option) + " '" + std::string(text) + "'";
}

std::string two_units(std::int64_t big, const char* big_unit, std::int64_t small,
                      const char* small_unit) {
  std::string out = std::to_string(big) + big_unit;
  if (small != 0) out += std::to_string(small) + small_unit;
  return out;
}

}  // namespace

Duration parse_duration_arg(std::string_view text, std::string_view option) {
  try {
    return platform::parse_duration(text, option);
  } catch (const platform::ValidationError& e) {
    throw platform::ValidationError(quoted_option(option, text), e.rule());
  }
}

platform::Timestamp parse_time_arg(std::string_view text, std::string_view option,
                                   platform::Timestamp now) {
  if (text.find('T') != std::string_view::npos) {
    try {
      return platform::parse_iso8601(text, option);
    } catch (const platform::ValidationError& e) {
      throw platform::ValidationError(quoted_option(option, text), e.rule());
    }
  }
  try {
    return now - platform::parse_duration(text, option);
  } catch (const platform::ValidationError&) {
    throw platform::ValidationError(
        quoted_option(option, text),
        "must be an ISO-8601 UTC time (2026-01-01T00:00:00Z) or a duration ago (30m, 2h, 7d)");
  }
}

std::string format_duration(Duration d) {
  // Negated in milliseconds: -Duration::min() itself would overflow.
  const auto ms = duration_cast<std::chrono::milliseconds>(d).count();
  if (d < Duration::zero()) return "-" + format_duration(std::chrono::milliseconds(-ms));
  if (ms < 1000) return std::to_string(ms) + "ms";
  const std::int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return two_units(s / 60, "m", s % 60, "s");
  if (s < 86400) return two_units(s / 3600, "h", s % 3600 / 60, "m");
  return two_units(s / 86400, "d", s % 86400 / 3600, "h");
}

std::string format_relative(platform::Timestamp t, platform::Timestamp now) {
  // Times centuries apart (an imported 1700s timestamp, say) overflow now - t:
  // saturate instead; the magnitude is taken in seconds, where it cannot overflow.
  Duration::rep ticks = 0;
  if (__builtin_sub_overflow(now.time_since_epoch().count(), t.time_since_epoch().count(),
                             &ticks)) {
    ticks = now > t ? Duration::max().count() : Duration::min().count();
  }
  const Duration diff(ticks);
  const auto signed_s = duration_cast<std::chrono::seconds>(diff).count();
  const auto s = signed_s < 0 ? -signed_s : signed_s;
  if (s < 1) return "just now";
  std::string amount;
  if (s < 60) {
    amount = std::to_string(s) + "s";
  } else if (s < 3600) {
    amount = std::to_string(s / 60) + "m";
  } else if (s < 86400) {
    amount = std::to_string(s / 3600) + "h";
  } else {
    amount = std::to_string(s / 86400) + "d";
  }
  return diff < Duration::zero() ? "in " + amount : amount + " ago";
}

std::string format_time(platform::Timestamp t) {
  // "2026-01-01T00:05:00.123456Z" -> "2026-01-01T00:05:00Z"
  std::string iso = platform::format_iso8601(t);
  if (const auto dot = iso.find('.'); dot != std::string::npos) iso = iso.substr(0, dot) + "Z";
  return iso;
}

}  // namespace incursa::platform::tools
