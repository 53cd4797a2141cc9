// Durations and times as people type and read them: "30m", "4m12s", "3m ago".
//
// Parsing throws ValidationError naming the option and the text given, so a
// tool can print it as one line. Formatting never throws. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "incursa/platform/clock.hpp"

namespace incursa::platform::tools {

using Duration = std::chrono::system_clock::duration;

// platform::parse_duration ("250ms", "45s", "30m", "6h", "2d", "1h30m"), with the
// error naming `option` and quoting `text`: "--threshold 'soon': must be …".
Duration parse_duration_arg(std::string_view text, std::string_view option);

// A point in time given on a command line: ISO-8601 UTC ("2026-01-01T00:00:00Z"),
// or a duration meaning that long before `now` ("2h" = two hours ago).
platform::Timestamp parse_time_arg(std::string_view text, std::string_view option,
                                   platform::Timestamp now);

// Compact, two units at most: "850ms", "12s", "4m12s", "2h5m", "3d4h"; "-" prefix if negative.
std::string format_duration(Duration d);

// Coarse, one unit: "just now", "45s ago", "3m ago", "2h ago", "5d ago", "in 3m".
std::string format_relative(platform::Timestamp t, platform::Timestamp now);

// "2026-01-01T00:05:00Z": ISO-8601 UTC to the second, for tables.
std::string format_time(platform::Timestamp t);

}  // namespace incursa::platform::tools
