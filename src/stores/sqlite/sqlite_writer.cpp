#include "sqlite_writer.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

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
    if (wait_for_turn(lock, job)) return;  // a leader committed it for us
  } else {
    leader_active_ = true;
  }

  // This caller leads: its job is first in the queue; it takes every one behind it.
  gather(lock, job);
  const std::size_t n = std::min(queue_.size(), kMaxBatch);
  std::vector<Job*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  for (Job* j : batch) {
    j->taken = true;
    j->generation = generation_;
  }
  taken_ = true;
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
  if (next_leader) next_leader->lead = true;
  for (Job* j : batch) {
    if (j != &job) j->done.store(true, std::memory_order_release);
  }
  const std::uint32_t mask =
      BatchSignal::generation(generation_) | (next_leader ? BatchSignal::kLead : 0U);
  ++generation_;
  taken_ = false;
  lock.unlock();
  // One system call wakes the batch's callers and the next leader: posting each
  // its own semaphore took the leader ~150 µs for 32 callers in a VM, during
  // which the callers woken first preempted it.
  signal_.wake(mask);
}

std::uint32_t Writer::mask_for(const Job& job) const {
  if (job.taken) return BatchSignal::generation(job.generation);
  // Still queued: it goes in the batch being formed, or the next one if that
  // was taken; the first in line behind a taken batch is the next leader.
  std::uint32_t mask = BatchSignal::generation(generation_ + (taken_ ? 1 : 0));
  if (taken_ && !queue_.empty() && queue_.front() == &job) mask |= BatchSignal::kLead;
  return mask;
}

bool Writer::wait_for_turn(std::unique_lock<std::mutex>& lock, Job& job) {
  for (;;) {
    // Under the lock: a leader marks jobs done and hands on the lead under it,
    // and moves the signal's sequence on only after, so a wake-up that comes
    // between this check and the sleep makes the sleep return at once.
    if (job.done.load(std::memory_order_acquire)) {
      lock.unlock();
      return true;
    }
    if (job.lead) return false;
    const std::uint32_t seen = signal_.seen();
    const std::uint32_t mask = mask_for(job);
    lock.unlock();
    signal_.wait(seen, mask);
    if (job.done.load(std::memory_order_acquire)) return true;
    lock.lock();
  }
}

void BatchSignal::wait(std::uint32_t seen, std::uint32_t mask) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&sequence_), FUTEX_WAIT_BITSET_PRIVATE,
            seen, nullptr, nullptr, mask);
}

void BatchSignal::wake(std::uint32_t mask) {
  sequence_.fetch_add(1, std::memory_order_release);
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&sequence_), FUTEX_WAKE_BITSET_PRIVATE,
            INT_MAX, nullptr, nullptr, mask);
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
