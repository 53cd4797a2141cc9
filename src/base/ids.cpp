// Id validation and generation (contract §2).
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>

#include "base/random.hpp"
#include "base/text.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/id.hpp"

namespace incursa::platform::detail {

namespace {

constexpr bool is_id_char(char c) noexcept {
  return is_ascii_alnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
}

// Lowercase hex for every byte value, two characters each.
constexpr std::array<char, 512> kHexPairs = [] {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 512> table{};
  for (std::size_t i = 0; i < 256; ++i) {
    table[2 * i] = kHex[i >> 4];
    table[2 * i + 1] = kHex[i & 0xF];
  }
  return table;
}();

void put_hex(char* out, std::uint64_t value) noexcept {
  for (int i = 0; i < 8; ++i) {
    std::memcpy(out + 2 * i, &kHexPairs[2 * ((value >> (56 - 8 * i)) & 0xFF)], 2);
  }
}

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

// Per-thread generator state. Trivially initialised, so reaching it costs no
// guard check; seeded on first use.
thread_local std::uint64_t t_state[4];
thread_local bool t_seeded = false;

// A forked child inherits its parent's generator state and would draw the same
// "random" bits -- the same ids and event keys -- as the parent. Every fork bumps
// this generation in the child, and a thread whose seed predates it reseeds.
std::atomic<std::uint32_t> g_fork_generation{0};
thread_local std::uint32_t t_generation = 0;

void on_fork_in_child() noexcept { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }
[[maybe_unused]] const int g_atfork_registered = pthread_atfork(nullptr, nullptr, on_fork_in_child);

void seed_this_thread() {
  std::random_device device;
  std::uint64_t x = (std::uint64_t{device()} << 32) | device();
  x ^= (std::uint64_t{device()} << 32) | device();
  for (std::uint64_t& word : t_state) word = splitmix64(x);  // never all zero
  t_seeded = true;
  t_generation = g_fork_generation.load(std::memory_order_relaxed);
}

}  // namespace

std::uint64_t random_u64() noexcept {
  if (!t_seeded || t_generation != g_fork_generation.load(std::memory_order_relaxed)) [[unlikely]] {
    try {
      seed_this_thread();
    } catch (...) {
      // No entropy source: fall back to the clock and the state's address.
      std::uint64_t x =
          static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
          reinterpret_cast<std::uintptr_t>(&t_state);
      for (std::uint64_t& word : t_state) word = splitmix64(x);
      t_seeded = true;
      t_generation = g_fork_generation.load(std::memory_order_relaxed);
    }
  }
  // xoshiro256** (Blackman and Vigna).
  const std::uint64_t result = rotl(t_state[1] * 5, 7) * 9;
  const std::uint64_t t = t_state[1] << 17;
  t_state[2] ^= t_state[0];
  t_state[3] ^= t_state[1];
  t_state[1] ^= t_state[2];
  t_state[0] ^= t_state[3];
  t_state[2] ^= t;
  t_state[3] = rotl(t_state[3], 45);
  return result;
}

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

  std::string out(32, '0');
  put_hex(out.data(), high);
  put_hex(out.data() + 16, low);
  return out;
}

}  // namespace incursa::platform::detail
