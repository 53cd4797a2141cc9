// The retry policy: which failures are repeated, and how long to wait between
// tries. See PostgresRetryPolicy for the rules in words.
//
// Thread safety: pure functions, plus a per-thread random source for jitter.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>

#include "incursa/platform/stores/postgres_store.hpp"
#include "pg_connection.hpp"

namespace incursa::platform::postgres {

// True if a call that failed with `failure` on try number `attempt` (1-based)
// should be tried again. `idempotent`: repeating it cannot apply it twice.
bool should_retry(const PgFailure& failure, bool idempotent, int attempt,
                  const PostgresRetryPolicy& policy) noexcept;

// The wait after try number `attempt`: exponential from initial_backoff, capped at
// max_backoff, with "equal jitter" (half fixed, half random from `random`) so that
// many clients cut off by one server restart do not come back in lockstep.
std::chrono::milliseconds backoff_delay(const PostgresRetryPolicy& policy, int attempt,
                                        std::uint64_t random) noexcept;

// A per-thread random number for backoff_delay.
std::uint64_t jitter_random();

// Runs `attempt()` until it returns, or throws the last PgError when should_retry
// says stop. `on_retry()` is called before each wait (for counters).
template <class Attempt, class OnRetry>
auto with_retry(const PostgresRetryPolicy& policy, bool idempotent, Attempt&& attempt,
                OnRetry&& on_retry) -> decltype(attempt()) {
  for (int n = 1;; ++n) {
    try {
      return attempt();
    } catch (const PgError& e) {
      if (!should_retry(e.failure(), idempotent, n, policy)) throw;
      on_retry();
      std::this_thread::sleep_for(backoff_delay(policy, n, jitter_random()));
    }
  }
}

}  // namespace incursa::platform::postgres
