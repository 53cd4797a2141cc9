// Input limits (contract §7). The Tracker checks every input against these in one
// place (src/base/validation.cpp) before anything is written.
#pragma once

#include <cstddef>
#include <cstdint>

namespace incursa::platform::limits {

inline constexpr std::size_t kMaxNameLength = 200;         // operation name, characters
inline constexpr std::size_t kMaxTags = 32;                // tags per operation
inline constexpr std::size_t kMaxTagKeyLength = 64;        // characters
inline constexpr std::size_t kMaxTagValueLength = 256;     // characters
inline constexpr std::size_t kMaxMessageBytes = 1024;      // UTF-8 bytes, after trimming
inline constexpr std::size_t kMaxEventKindLength = 64;     // characters
inline constexpr std::size_t kMaxDataJsonBytes = 65536;    // 64 KiB
inline constexpr std::size_t kMaxProgressUnitLength = 32;  // characters
inline constexpr std::size_t kMaxEventPageSize = 10000;    // events() limit
// Bounded counts (count_by_status with at_most): what opsd and opsctl count up
// to by default ("10,000+"), and the most a caller may ask for.
inline constexpr std::int64_t kDefaultCountLimit = 10000;
inline constexpr std::int64_t kMaxCountLimit = 1000000;

}  // namespace incursa::platform::limits
