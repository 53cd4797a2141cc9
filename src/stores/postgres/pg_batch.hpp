// Group commit across the pool: concurrent callers' writes share one transaction
// and one round trip.
//
// A writer queues its call and, if fewer than `max_batches` batches are in
// flight, leads one: it takes the queued calls (its own and whoever queued
// before it, up to `max_batch_size`), orders them by operation id (so two
// batches, or two processes, always lock rows in the same order and cannot
// deadlock each other), and sends them down one pooled connection in pipeline
// mode:
//
//   BEGIN; (SAVEPOINT c; EXECUTE call; RELEASE c) × n; COMMIT; Sync
//
// One round trip, one transaction, one WAL flush for the lot. A call that fails
// fails alone: the pipeline stops at its error, the leader rolls back to that
// call's savepoint (the calls before it stay in the open transaction) and sends
// the rest again, then commits. Every call returns only after the COMMIT that
// covers it succeeded (or with the failure that concerns it). A batch of one is
// sent as a plain autocommit statement: a lone caller pays nothing for batching.
//
// If the connection breaks after the COMMIT was sent, every call of the batch is
// `maybe_applied` and the retry policy decides, per call, whether repeating it
// is safe (docs/postgres.md, "Errors and the retry policy").
//
// Thread safety: run() may be called from any number of threads. Errors: run()
// throws PgError with the failure of that call (or of its whole batch).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "pg_connection.hpp"
#include "pg_pool.hpp"

namespace incursa::platform::postgres {

class WriteBatcher {
 public:
  // max_batches: batches in flight at once (each holds one pooled connection).
  WriteBatcher(Pool& pool, std::size_t max_batches, std::size_t max_batch_size);
  WriteBatcher(const WriteBatcher&) = delete;
  WriteBatcher& operator=(const WriteBatcher&) = delete;

  // Runs `statement` (a single self-contained write) in the next batch and
  // returns its result once the batch committed. `order_key`: the operation id
  // the statement locks. The references must stay valid until run() returns.
  Result run(const Statement& statement, const Params& params, std::string_view order_key);

  struct Stats {
    std::uint64_t batches = 0;        // transactions (a batch of one included)
    std::uint64_t calls = 0;          // calls they carried
    std::uint64_t largest_batch = 0;  // calls in the largest one
    std::size_t queued = 0;           // calls waiting for a batch now
    std::size_t in_flight = 0;        // batches running now
  };
  Stats stats() const;

 private:
  struct Job {
    const Statement* statement = nullptr;
    const Params* params = nullptr;
    std::string_view order_key{};
    Result result{};
    std::optional<PgFailure> failure{};
    bool done = false;
    std::condition_variable settled{};  // its caller waits here (under mutex_)
  };

  void execute(std::vector<Job*>& batch) noexcept;
  void execute_pipelined(Connection& connection, std::vector<Job*>& batch);

  Pool& pool_;
  const std::size_t max_batches_;
  const std::size_t max_batch_size_;

  mutable std::mutex mutex_;
  std::deque<Job*> queue_;
  std::size_t in_flight_ = 0;
  std::uint64_t batches_ = 0;
  std::uint64_t calls_ = 0;
  std::uint64_t largest_ = 0;
};

}  // namespace incursa::platform::postgres
