// The injectable clock. Every timestamp the library writes comes from a Clock,
// so tests can move time instead of sleeping.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace incursa::platform {

using Timestamp = std::chrono::system_clock::time_point;

// Thread safety: implementations must be safe to call from many threads at once.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

// Wall-clock UTC time from std::chrono::system_clock.
class SystemClock final : public Clock {
 public:
  Timestamp now() const override { return std::chrono::system_clock::now(); }

  // A shared process-wide instance.
  static std::shared_ptr<SystemClock> instance();
};

// A clock that only moves when told. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start);
  ManualClock();  // starts at 2026-01-01T00:00:00Z

  Timestamp now() const override;
  void set(Timestamp t);
  void advance(std::chrono::system_clock::duration d);

 private:
  mutable std::mutex mutex_;
  Timestamp now_;
};

// Truncates to whole microseconds: the precision every store keeps, so a value
// read back compares equal to the value written.
Timestamp truncate_to_micros(Timestamp t) noexcept;

// "2026-01-01T00:00:00.123456Z" (UTC, microseconds, always 6 fraction digits).
std::string format_iso8601(Timestamp t);

// Parses an RFC 3339 (ISO-8601) timestamp in UTC:
// "YYYY-MM-DDTHH:MM:SS[.fraction]Z", surrounding blanks ignored. As RFC 3339
// allows, "T" and "Z" may be lowercase, and the zone may be written "+00:00" or
// "-00:00" (RFC 3339's "UTC, local offset unknown"). A fraction has 1-9 digits;
// past microseconds they are dropped. Throws ValidationError(field) on anything
// else (offsets other than UTC included).
Timestamp parse_iso8601(std::string_view text, std::string_view field);

}  // namespace incursa::platform
