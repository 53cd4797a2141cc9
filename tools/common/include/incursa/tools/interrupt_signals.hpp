// Ctrl-C for long-running commands (watch, demo): SIGINT and SIGTERM become a
// stop request that loops and sleeps can observe through a std::stop_token.
//
// Construct it on the main thread before starting any other thread: it blocks
// the two signals (threads started later inherit the mask) and receives them on
// a thread of its own. The destructor stops that thread and restores the mask.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <stop_token>
#include <thread>

namespace incursa::platform::tools {

class InterruptSignals {
 public:
  InterruptSignals();
  ~InterruptSignals();
  InterruptSignals(const InterruptSignals&) = delete;
  InterruptSignals& operator=(const InterruptSignals&) = delete;

  std::stop_token token() const noexcept { return source_.get_token(); }
  bool interrupted() const noexcept { return source_.stop_requested(); }

 private:
  std::stop_source source_;
  std::atomic<bool> done_{false};
  sigset_t previous_mask_{};
  std::thread thread_;
};

// Sleeps until `deadline` or until `stop` is requested; false if stopped.
bool sleep_until(std::chrono::steady_clock::time_point deadline, std::stop_token stop);

}  // namespace incursa::platform::tools
