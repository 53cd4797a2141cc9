// The HTTP server's worker pool: grows on demand up to a bound and lets idle
// threads go.
//
// cpp-httplib runs each connection on one pool thread for the connection's whole
// life, so a Server-Sent Events stream or a long :wait holds a thread for
// minutes. The library's fixed pool (8 threads here) would be exhausted by a
// handful of dashboards; a pool sized for the worst case would keep ~150 idle
// threads around. This one starts empty, adds a thread whenever a connection
// arrives and none is idle, never exceeds `max_threads` (connections beyond that
// wait in the queue), and retires threads idle for `idle_timeout`.
//
// Thread safety: enqueue() may be called from any thread; shutdown() once, by the
// owner (cpp-httplib calls it when listen() ends).
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace incursa::platform::opsd {

class DynamicThreadPool final : public httplib::TaskQueue {
 public:
  DynamicThreadPool(std::size_t max_threads, std::chrono::steady_clock::duration idle_timeout);
  ~DynamicThreadPool() override;

  DynamicThreadPool(const DynamicThreadPool&) = delete;
  DynamicThreadPool& operator=(const DynamicThreadPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  // Runs every queued job, then joins every thread.
  void shutdown() override;

  std::size_t thread_count() const;

 private:
  void work(std::list<std::thread>::iterator self);
  void reap_locked(std::vector<std::thread>& out);

  const std::size_t max_threads_;
  const std::chrono::steady_clock::duration idle_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::list<std::thread> threads_;
  // Threads that retired themselves; joined by the next enqueue() or shutdown().
  std::vector<std::list<std::thread>::iterator> finished_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace incursa::platform::opsd
