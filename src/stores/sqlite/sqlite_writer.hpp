// The write path: one writer connection per store, and group commit
// (docs/sqlite.md, "Threads, processes, locks"; how it came to be, with the
// figures: docs/performance.md, "SQLite writer: history").
//
// Every write runs inside BEGIN IMMEDIATE … COMMIT. IMMEDIATE takes the file's
// write lock up front, so the busy timeout covers the wait for another process,
// and a transaction never has to upgrade from read to write (the upgrade is what
// fails with SQLITE_BUSY_SNAPSHOT in WAL mode, past any busy timeout).
//
// Group commit (as LevelDB groups its writers): write() queues the caller's job.
// The first caller in the queue becomes the leader, takes every job queued
// behind it (up to kMaxBatch), and commits them in one transaction: one fsync
// for all. Followers sleep until the leader marks their job done; a call returns
// only once its transaction is durable. A lone caller commits a batch of one at
// once.
//
// One job's failure rolls back only that job: the leader runs the batch straight
// through and, if a job throws, rolls the transaction back and runs the batch
// again with each job in its own SAVEPOINT, so savepoints are paid for only when
// a job fails. A job's work may therefore run twice, and must touch nothing but
// the connection and its own result.
//
// Gathering: a leader that finds fewer jobs queued than the last batch carried
// waits for that many, but no longer than the last batch took to commit (at most
// kMaxGather). The callers of the last batch are about to come back with their
// next call; committing without them makes small batches that each pay for a
// commit while the rest wait behind it. A lone caller never waits: the last batch
// held only its own job. After a burst the first lone call waits once, for at
// most one commit's time.
//
// Waking: a commit wakes the callers it finished and the next leader, and no one
// else, with one system call (BatchSignal below). Callers queued behind a batch
// being committed wait for the next one and are not woken; only when more are
// queued than a batch holds (kMaxBatch) are the ones left over woken once for
// nothing.
//
// Thread safety: all members may be called from any thread. Errors: whatever the
// jobs throw, and StoreError from SQLite.
#pragma once

#include <semaphore.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "sqlite_connection.hpp"
#include "sqlite_file_guard.hpp"

namespace incursa::platform::sqlite {

// A one-shot wake-up for one sleeping thread (a gathering leader). A POSIX
// semaphore, not std::binary_semaphore: libstdc++'s spins with sched_yield before
// it sleeps, and POSIX lets the waiter destroy the semaphore as soon as its wait
// returns.
class Wakeup {
 public:
  Wakeup() { ::sem_init(&semaphore_, 0, 0); }
  ~Wakeup() { ::sem_destroy(&semaphore_); }
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void post() { ::sem_post(&semaphore_); }
  void wait() {
    while (::sem_wait(&semaphore_) != 0) {
      // EINTR: a signal handler ran; keep waiting.
    }
  }
  // Waits for a post or until `deadline`, whichever comes first.
  void wait_until(std::chrono::steady_clock::time_point deadline) {
    const auto since_epoch = deadline.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    timespec at{};
    at.tv_sec = static_cast<time_t>(seconds.count());
    at.tv_nsec = static_cast<long>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count());
    // steady_clock is CLOCK_MONOTONIC in libstdc++.
    while (::sem_clockwait(&semaphore_, CLOCK_MONOTONIC, &at) != 0 && errno == EINTR) {
    }
  }

 private:
  sem_t semaphore_;
};

// Wakes the callers of one batch, and the next leader, with one system call.
// Every waiting caller sleeps on this one futex word with a bitset that says
// what it waits for: the end of the batch of its generation (one bit per
// generation's parity: a caller waits for the batch being formed or the one
// after it, never further), or, for the first caller queued behind a batch
// already taken, also the lead. Linux only, as the rest of the writer.
class BatchSignal {
 public:
  static constexpr std::uint32_t kLead = 1U << 2;
  static std::uint32_t generation(std::uint64_t g) { return 1U << (g & 1U); }

  // The value a waiter passes to wait(): read before deciding to sleep.
  std::uint32_t seen() const { return sequence_.load(std::memory_order_acquire); }
  // Sleeps until woken with a mask that meets `mask`, or returns at once if the
  // sequence moved on since `seen` (or a signal interrupted the wait).
  void wait(std::uint32_t seen, std::uint32_t mask);
  // Moves the sequence on and wakes every waiter whose mask meets `mask`.
  void wake(std::uint32_t mask);

 private:
  std::atomic<std::uint32_t> sequence_{0};
};

class Writer {
 public:
  // One unit of work. `error` is set when the work, or the commit carrying it, failed.
  struct Job {
    std::function<void(Connection&)> work;
    std::exception_ptr error{};
    // Set by the leader that committed it, before it signals the batch's end.
    std::atomic<bool> done{false};
    // The rest is guarded by the writer's queue mutex.
    bool lead = false;             // the finishing leader handed this caller the lead
    bool taken = false;            // a leader took it into its batch ...
    std::uint64_t generation = 0;  // ... of this generation (set when taken)
    // Posted when a gathering leader's company has arrived (see "Gathering").
    Wakeup wake{};
  };

  // Most jobs one transaction carries: bounds a transaction's length and the
  // latency the first job in a batch pays for the others.
  static constexpr std::size_t kMaxBatch = 256;
  // Longest a leader waits for company (see "Gathering" above).
  static constexpr std::chrono::microseconds kMaxGather{1000};

  // `guard`, when given, must outlive the writer: every batch checks the file is
  // still the one opened before it begins and again after it commits, so no write
  // that went to a deleted or replaced file is acknowledged.
  explicit Writer(std::unique_ptr<Connection> connection, const FileGuard* guard = nullptr)
      : connection_(std::move(connection)), guard_(guard) {}

  // Runs `work(connection)` in a transaction and returns its result once committed.
  // `work` may run more than once (every run but the last rolled back), so it
  // must have no effect outside the connection and its return value.
  template <class F>
  auto write(F&& work) -> std::invoke_result_t<F&, Connection&> {
    using Result = std::invoke_result_t<F&, Connection&>;
    std::optional<Result> result;
    Job job{[&](Connection& c) { result.emplace(work(c)); }};
    submit(job);
    if (job.error) std::rethrow_exception(job.error);
    return std::move(*result);
  }

  // Commits `jobs` in one transaction, now, bypassing the queue. Never throws:
  // each job's outcome is in its `error` (all of them share the error when the
  // transaction itself fails).
  void commit_batch(std::span<Job> jobs) noexcept;

  // How many transactions and jobs the queue has committed (for tests and benchmarks).
  std::size_t batches_committed() const;
  std::size_t jobs_committed() const;
  // Jobs waiting for a leader to take them, and whether the connection is in use
  // (for tests that stage a batch deterministically).
  std::size_t queued() const;
  bool connection_busy();

  // Runs `work(connection)` under the writer lock, outside any transaction the
  // writer starts (reads of an in-memory store, maintenance such as backup).
  template <class F>
  auto with_connection(F&& work) -> std::invoke_result_t<F&, Connection&> {
    std::lock_guard lock(mutex_);
    return work(*connection_);
  }

 private:
  // Queues `job` and returns once a leader (maybe this caller) has committed it.
  void submit(Job& job);
  // Sleeps until `job` is done (true) or its caller must lead (false). `lock`
  // holds queue_mutex_ on entry and, when it returns false, on exit.
  bool wait_for_turn(std::unique_lock<std::mutex>& lock, Job& job);
  // The signal bits `job`, waiting, must wake for. Needs queue_mutex_.
  std::uint32_t mask_for(const Job& job) const;
  void commit_jobs(std::span<Job* const> jobs) noexcept;
  // Called by the leader, whose job is `leader`, holding `lock` (on queue_mutex_).
  void gather(std::unique_lock<std::mutex>& lock, Job& leader);
  void run_batch(std::span<Job* const> jobs);
  // Runs every job in the open transaction; on the first failure rolls it back
  // and returns false.
  bool run_straight(Connection& c, std::span<Job* const> jobs) noexcept;
  // Runs every job in its own savepoint of the open transaction.
  void run_isolated(Connection& c, std::span<Job* const> jobs);

  std::mutex mutex_;  // the connection
  std::unique_ptr<Connection> connection_;
  const FileGuard* guard_ = nullptr;

  mutable std::mutex queue_mutex_;
  std::deque<Job*> queue_;
  // Whether a caller leads. When none does, the queue is empty: a leader that
  // finishes with jobs queued hands the lead to the first of them.
  bool leader_active_ = false;
  // The generation of the batch the active leader forms or commits, and whether
  // it has taken its jobs (those queued since go in the next one).
  std::uint64_t generation_ = 0;
  bool taken_ = false;
  BatchSignal signal_;
  // Gathering: the leader waiting for company, and the queue length that wakes it.
  Job* gathering_ = nullptr;
  std::size_t gather_until_ = 0;
  std::size_t last_batch_size_ = 1;
  std::chrono::steady_clock::duration last_commit_time_{};
  std::size_t batches_committed_ = 0;
  std::size_t jobs_committed_ = 0;
};

}  // namespace incursa::platform::sqlite
