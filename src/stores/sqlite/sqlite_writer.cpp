#include "sqlite_writer.hpp"

#include <algorithm>
#include <vector>

namespace incursa::platform::sqlite {

namespace {

// Transaction control through the connection's statement cache: parsed once.
void run(Connection& c, const char* sql) { c.prepare(sql).run(); }

void rollback_quietly(Connection& connection) noexcept {
  if (connection.in_transaction()) {
    sqlite3_exec(connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void fail_all(std::span<Writer::Job* const> jobs, const std::exception_ptr& error) noexcept {
  for (Writer::Job* job : jobs) {
    if (!job->error) job->error = error;
  }
}

}  // namespace

void Writer::commit_batch(std::span<Job> jobs) noexcept {
  std::vector<Job*> pointers;
  pointers.reserve(jobs.size());
  for (Job& job : jobs) pointers.push_back(&job);
  commit_jobs(pointers);
}

void Writer::submit(Job& job) {
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(&job);
  queue_changed_.wait(lock,
                      [&] { return job.done || (!leader_active_ && queue_.front() == &job); });
  if (job.done) return;  // a leader committed it for us

  // This caller leads: it takes its own job and every one queued behind it.
  leader_active_ = true;
  const std::size_t n = std::min(queue_.size(), kMaxBatch);
  std::vector<Job*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  lock.unlock();

  commit_jobs(batch);

  lock.lock();
  for (Job* j : batch) j->done = true;
  ++batches_committed_;
  jobs_committed_ += batch.size();
  leader_active_ = false;
  lock.unlock();
  // Wake the followers of this batch and the next leader.
  queue_changed_.notify_all();
}

std::size_t Writer::batches_committed() const {
  std::lock_guard lock(queue_mutex_);
  return batches_committed_;
}

std::size_t Writer::queued() const {
  std::lock_guard lock(queue_mutex_);
  return queue_.size();
}

bool Writer::connection_busy() {
  if (!mutex_.try_lock()) return true;
  mutex_.unlock();
  return false;
}

std::size_t Writer::jobs_committed() const {
  std::lock_guard lock(queue_mutex_);
  return jobs_committed_;
}

void Writer::commit_jobs(std::span<Job* const> jobs) noexcept {
  if (jobs.empty()) return;
  std::lock_guard lock(mutex_);
  try {
    if (guard_) guard_->check();
    run_batch(jobs);
    // Committed, but to the file the path still names? If not, the batch went to
    // a nameless file and must not be acknowledged.
    if (guard_) guard_->check();
  } catch (...) {
    rollback_quietly(*connection_);
    fail_all(jobs, std::current_exception());
  }
}

void Writer::run_batch(std::span<Job* const> jobs) {
  Connection& c = *connection_;
  run(c, "BEGIN IMMEDIATE");
  if (jobs.size() == 1) {
    // A batch of one needs no savepoint: its failure is the transaction's.
    try {
      jobs[0]->work(c);
    } catch (...) {
      jobs[0]->error = std::current_exception();
      rollback_quietly(c);
      return;
    }
  } else {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      run(c, "SAVEPOINT job");
      try {
        jobs[i]->work(c);
        run(c, "RELEASE job");
      } catch (...) {
        jobs[i]->error = std::current_exception();
        if (!c.in_transaction()) {
          // SQLite rolled the whole transaction back (disk full, I/O error): the
          // jobs before this one are lost too, and the ones after never ran.
          for (Job* job : jobs) job->error = jobs[i]->error;
          return;
        }
        run(c, "ROLLBACK TO job");
        run(c, "RELEASE job");
      }
    }
  }
  run(c, "COMMIT");
}

}  // namespace incursa::platform::sqlite
