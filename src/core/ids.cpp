// Id validation and generation (SPEC §2).
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>

#include "core/text.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/id.hpp"

namespace incursa::platform::detail {

namespace {

constexpr bool is_id_char(char c) noexcept {
  return is_ascii_alnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
}

// Random bits for ids. One generator per thread avoids a lock on the hot path.
std::uint64_t random_u64() {
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  return engine();
}

}  // namespace

std::string validate_id(std::string_view text, std::string_view field) {
  const std::string_view id = trim(text);
  if (id.empty()) throw ValidationError(std::string(field), "is required");
  if (id.size() > kMaxIdLength) {
    throw ValidationError(std::string(field), "must be at most 64 characters");
  }
  for (char c : id) {
    if (!is_id_char(c)) {
      throw ValidationError(std::string(field), "may contain only A-Z a-z 0-9 . _ : -");
    }
  }
  return std::string(id);
}

std::string generate_id(Timestamp at) {
  // UUIDv7 layout: 48-bit Unix ms | version 7 | 12-bit rand_a | variant 10 | 62-bit rand_b.
  // rand_a carries a process-wide sequence that restarts at a random point each
  // millisecond, so ids made in the same millisecond by one process still ascend.
  // The (ms, sequence) pair lives in one atomic word: ms << 12 | sequence, so the
  // hot path takes no lock, and a sequence overflow carries into the next
  // millisecond by plain addition.
  static std::atomic<std::uint64_t> state{0};

  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() &
      0xFFFFFFFFFFFFLL);
  std::uint64_t current = state.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    const std::uint64_t last_ms = current >> 12;
    // Within a second behind the last id (the same millisecond, a borrowed one, or
    // a small clock step back) keep counting up from it; otherwise start afresh so
    // an id always carries a time close to the one it was made for.
    if (ms > last_ms || last_ms - ms >= 1000) {
      next = (ms << 12) | (random_u64() & 0x3FF);  // leave headroom to count up
    } else {
      next = current + 1;
    }
  } while (!state.compare_exchange_weak(current, next, std::memory_order_relaxed));

  const std::uint64_t high = ((next >> 12) << 16) | (0x7ULL << 12) | (next & 0xFFF);
  const std::uint64_t low = (random_u64() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(i)] = kHex[(high >> (60 - 4 * i)) & 0xF];
    out[static_cast<std::size_t>(16 + i)] = kHex[(low >> (60 - 4 * i)) & 0xF];
  }
  return out;
}

}  // namespace incursa::platform::detail
