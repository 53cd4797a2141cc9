// BackgroundLoop: runs one function on its own thread, at once and then every
// `interval`, until stopped. The stall monitor and opsd's store poller run on it.
// A run that returns true ("there is more") is followed by the next at once,
// which is how a backlog is worked off in bounded batches without waiting an
// interval between them.
//
// stop() returns as soon as a run in progress ends, without waiting out the
// interval (the wait is on a condition variable tied to the thread's stop token,
// not a sleep). An exception from the function is handed to `on_error` and the
// next run goes ahead on time: a loop never ends by itself.
//
// Thread safety: start() and stop() are for the owning thread; the function runs
// on the loop's thread only. Ownership: owns its thread; the destructor stops it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace incursa::platform {

class BackgroundLoop {
 public:
  using Duration = std::chrono::steady_clock::duration;

  BackgroundLoop(Duration interval, std::function<bool()> run,
                 std::function<void(const std::exception&)> on_error = {});
  ~BackgroundLoop();

  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  // Starts the thread (a no-op when running): a run at once, then one per interval.
  void start();
  // Asks the thread to stop and joins it (a no-op when not running).
  void stop();
  bool running() const noexcept { return thread_.joinable(); }

 private:
  void loop(std::stop_token stop);

  Duration interval_;
  std::function<bool()> run_;
  std::function<void(const std::exception&)> on_error_;
  std::mutex wait_mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace incursa::platform
