#include "sqlite_writer.hpp"

#include <algorithm>
#include <chrono>
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
  if (gathering_ != nullptr && queue_.size() >= gather_until_) {
    // Posted under the lock: the leader clears gathering_ under it before its
    // job can end, so the post never reaches a destroyed job.
    gathering_->wake.post();
    gathering_ = nullptr;
  }
  if (leader_active_) {
    lock.unlock();
    job.wake.wait();
    if (job.done) return;  // a leader committed it for us
    lock.lock();           // else the finishing leader handed us the lead
  } else {
    leader_active_ = true;
  }

  // This caller leads: its job is first in the queue; it takes every one behind it.
  gather(lock, job);
  const std::size_t n = std::min(queue_.size(), kMaxBatch);
  std::vector<Job*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  lock.unlock();

  const auto started = std::chrono::steady_clock::now();
  commit_jobs(batch);
  const auto took = std::chrono::steady_clock::now() - started;

  lock.lock();
  last_batch_size_ = batch.size();
  last_commit_time_ = took;
  ++batches_committed_;
  jobs_committed_ += batch.size();
  Job* next_leader = queue_.empty() ? nullptr : queue_.front();
  leader_active_ = next_leader != nullptr;
  lock.unlock();
  // Nothing else wakes the next leader, so its job is still alive here.
  if (next_leader) next_leader->wake.post();
  // A woken caller may return and destroy its job at once, so each job is
  // touched last by its own post.
  for (Job* j : batch) {
    if (j == &job) continue;
    j->done = true;
    j->wake.post();
  }
}

void Writer::gather(std::unique_lock<std::mutex>& lock, Job& leader) {
  if (queue_.size() >= last_batch_size_) return;
  gathering_ = &leader;
  gather_until_ = last_batch_size_;
  const auto patience =
      std::min<std::chrono::steady_clock::duration>(last_commit_time_, kMaxGather);
  lock.unlock();
  // The leader's own semaphore is free: it was posted (and taken) to hand it the
  // lead, and nothing waits on it after this.
  leader.wake.wait_until(std::chrono::steady_clock::now() + patience);
  lock.lock();
  // Timed out: no one posted, or one did after the timeout and left a count that
  // nothing will wait for.
  if (gathering_ == &leader) gathering_ = nullptr;
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
  if (run_straight(c, jobs)) {
    run(c, "COMMIT");
    return;
  }
  if (jobs.size() == 1) return;  // its failure was the transaction's
  // A job failed: run the batch again, each job in its own savepoint.
  run(c, "BEGIN IMMEDIATE");
  run_isolated(c, jobs);
  run(c, "COMMIT");
}

bool Writer::run_straight(Connection& c, std::span<Job* const> jobs) noexcept {
  for (Job* job : jobs) {
    try {
      job->work(c);
    } catch (...) {
      // Only a lone job's error is final; a batch's failing job gets its error
      // when the batch runs again.
      if (jobs.size() == 1) job->error = std::current_exception();
      rollback_quietly(c);
      return false;
    }
  }
  return true;
}

void Writer::run_isolated(Connection& c, std::span<Job* const> jobs) {
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

}  // namespace incursa::platform::sqlite
