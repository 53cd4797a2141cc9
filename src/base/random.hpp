// Cheap randomness for ids and event keys (not for secrets).
#pragma once

#include <cstdint>
#include <string>

namespace incursa::platform::detail {

// 64 random bits from this thread's xoshiro256** generator, seeded once per
// thread from std::random_device. No lock, no allocation.
std::uint64_t random_u64() noexcept;

}  // namespace incursa::platform::detail
