#include "incursa/platform/clock.hpp"

#include <cstdio>

#include "base/text.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform {

using std::chrono::duration_cast;
using std::chrono::microseconds;

std::shared_ptr<SystemClock> SystemClock::instance() {
  static const auto clock = std::make_shared<SystemClock>();
  return clock;
}

ManualClock::ManualClock(Timestamp start) : now_(start) {}

ManualClock::ManualClock() : ManualClock(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) {}

Timestamp ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

void ManualClock::set(Timestamp t) {
  std::lock_guard lock(mutex_);
  now_ = t;
}

void ManualClock::advance(std::chrono::system_clock::duration d) {
  std::lock_guard lock(mutex_);
  now_ += d;
}

Timestamp truncate_to_micros(Timestamp t) noexcept {
  return Timestamp(std::chrono::floor<microseconds>(t.time_since_epoch()));
}

std::string format_iso8601(Timestamp t) {
  const auto micros = std::chrono::floor<microseconds>(t.time_since_epoch());
  const auto days = std::chrono::floor<std::chrono::days>(micros);
  const std::chrono::year_month_day ymd{std::chrono::sys_days{days}};
  const std::chrono::hh_mm_ss<microseconds> hms{micros - days};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  return buf;
}

namespace {

// Reads exactly `n` digits at `pos`; returns -1 if they are not all digits.
int read_digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!detail::is_ascii_digit(s[pos + i])) return -1;
    value = value * 10 + (s[pos + i] - '0');
  }
  return value;
}

}  // namespace

Timestamp parse_iso8601(std::string_view text, std::string_view field) {
  const std::string_view s = detail::trim(text);
  const auto fail = [&]() -> Timestamp {
    throw ValidationError(std::string(field),
                          "must be an ISO-8601 UTC timestamp like 2026-01-31T12:00:00Z");
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return fail();
  }
  const int year = read_digits(s, 0, 4), month = read_digits(s, 5, 2), day = read_digits(s, 8, 2);
  const int hour = read_digits(s, 11, 2), minute = read_digits(s, 14, 2),
            second = read_digits(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return fail();
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && detail::is_ascii_digit(s[pos])) {
      // Digits past microseconds are accepted and dropped (truncation, not rounding).
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return fail();
    for (std::size_t d = digits; d < 6; ++d) micros *= 10;
  }
  const std::string_view zone = s.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "-00:00") return fail();
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return fail();
  const auto tp = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
                  std::chrono::minutes{minute} + std::chrono::seconds{second} +
                  microseconds{micros};
  // Timestamp counts nanoseconds in 64 bits (about 1677-09-21 to 2262-04-11);
  // outside that a conversion would wrap around silently.
  const auto us = duration_cast<microseconds>(tp.time_since_epoch()).count();
  if (us < duration_cast<microseconds>(Timestamp::min().time_since_epoch()).count() ||
      us > duration_cast<microseconds>(Timestamp::max().time_since_epoch()).count()) {
    throw ValidationError(std::string(field), "must be between 1677-09-22 and 2262-04-11");
  }
  return Timestamp(duration_cast<Timestamp::duration>(tp.time_since_epoch()));
}

}  // namespace incursa::platform
