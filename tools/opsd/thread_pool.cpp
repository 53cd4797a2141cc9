#include "thread_pool.hpp"

#include <utility>

namespace incursa::platform::opsd {

DynamicThreadPool::DynamicThreadPool(std::size_t max_threads,
                                     std::chrono::steady_clock::duration idle_timeout)
    : max_threads_(max_threads == 0 ? 1 : max_threads), idle_timeout_(idle_timeout) {}

DynamicThreadPool::~DynamicThreadPool() { shutdown(); }

std::size_t DynamicThreadPool::thread_count() const {
  std::lock_guard lock(mutex_);
  return threads_.size() - finished_.size();
}

void DynamicThreadPool::reap_locked(std::vector<std::thread>& out) {
  for (auto it : finished_) {
    out.push_back(std::move(*it));
    threads_.erase(it);
  }
  finished_.clear();
}

void DynamicThreadPool::enqueue(std::function<void()> fn) {
  std::vector<std::thread> retired;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    reap_locked(retired);
    jobs_.push_back(std::move(fn));
    // A job already waiting for an idle thread counts against that idle thread.
    const std::size_t live = threads_.size() - finished_.size();
    if (idle_ < jobs_.size() && live < max_threads_) {
      threads_.emplace_back();
      auto self = std::prev(threads_.end());
      *self = std::thread([this, self] { work(self); });
    }
  }
  wake_.notify_one();
  for (std::thread& t : retired) t.join();
}

void DynamicThreadPool::work(std::list<std::thread>::iterator self) {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    const bool woke =
        wake_.wait_for(lock, idle_timeout_, [this] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (!jobs_.empty()) {
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
      continue;
    }
    if (stopping_) return;  // shutdown() joins us
    if (!woke) {
      finished_.push_back(self);
      return;
    }
  }
}

void DynamicThreadPool::shutdown() {
  std::list<std::thread> all;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  {
    std::lock_guard lock(mutex_);
    // Threads that retired earlier are in finished_; every other one exits once
    // the queue is empty. Either way joining all of them is correct.
    finished_.clear();
    all.splice(all.end(), threads_);
  }
  for (std::thread& t : all) {
    if (t.joinable()) t.join();
  }
}

}  // namespace incursa::platform::opsd
