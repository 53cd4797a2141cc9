#include "pg_retry.hpp"

#include <algorithm>
#include <random>

namespace incursa::platform::postgres {

bool should_retry(const PgFailure& failure, bool idempotent, int attempt,
                  const PostgresRetryPolicy& policy) noexcept {
  if (!failure.retryable || failure.waited) return false;
  if (failure.maybe_applied && !idempotent) return false;  // it may have landed: do not repeat
  return attempt < policy.max_attempts;
}

std::chrono::milliseconds backoff_delay(const PostgresRetryPolicy& policy, int attempt,
                                        std::uint64_t random) noexcept {
  using std::chrono::milliseconds;
  const std::int64_t cap = std::max<std::int64_t>(policy.max_backoff.count(), 0);
  std::int64_t base = std::max<std::int64_t>(policy.initial_backoff.count(), 0);
  for (int i = 1; i < attempt && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  const std::int64_t half = base / 2;
  const auto spread = static_cast<std::uint64_t>(base - half + 1);
  return milliseconds(half + static_cast<std::int64_t>(random % spread));
}

std::uint64_t jitter_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}

}  // namespace incursa::platform::postgres
