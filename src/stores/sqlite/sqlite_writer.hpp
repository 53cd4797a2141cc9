// The write path: one writer connection per store, guarded by a mutex.
//
// Every write runs inside BEGIN IMMEDIATE … COMMIT. IMMEDIATE takes the file's
// write lock up front, so the busy timeout covers the wait for another process,
// and a transaction never has to upgrade from read to write (the upgrade is what
// fails with SQLITE_BUSY_SNAPSHOT in WAL mode, past any busy timeout).
//
// commit_batch() is the seam for group commit: it runs several jobs in one
// transaction, each in its own SAVEPOINT, so one job's failure rolls back only
// that job. Today each call commits a batch of one; a later queue can hand the
// writer many jobs at once without changing the SQL code they run.
//
// Thread safety: all members may be called from any thread; they serialise on
// the writer mutex. Errors: whatever the jobs throw, and StoreError from SQLite.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "sqlite_connection.hpp"

namespace incursa::platform::sqlite {

class Writer {
 public:
  // One unit of work. `error` is set when the work, or the commit carrying it, failed.
  struct Job {
    std::function<void(Connection&)> work;
    std::exception_ptr error;
  };

  explicit Writer(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}

  // Runs `work(connection)` as one transaction and returns its result once committed.
  template <class F>
  auto write(F&& work) -> std::invoke_result_t<F&, Connection&> {
    using Result = std::invoke_result_t<F&, Connection&>;
    std::optional<Result> result;
    Job job{[&](Connection& c) { result.emplace(work(c)); }, nullptr};
    commit_batch(std::span<Job>(&job, 1));
    if (job.error) std::rethrow_exception(job.error);
    return std::move(*result);
  }

  // Commits `jobs` in one transaction. Never throws: each job's outcome is in its
  // `error` (all of them share the error when the transaction itself fails).
  void commit_batch(std::span<Job> jobs) noexcept;

  // Runs `work(connection)` under the writer lock, outside any transaction the
  // writer starts (reads of an in-memory store, maintenance such as backup).
  template <class F>
  auto with_connection(F&& work) -> std::invoke_result_t<F&, Connection&> {
    std::lock_guard lock(mutex_);
    return work(*connection_);
  }

 private:
  void run_batch(std::span<Job> jobs);

  std::mutex mutex_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace incursa::platform::sqlite
