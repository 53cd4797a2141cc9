#include "incursa/tools/interrupt_signals.hpp"

#include <pthread.h>

#include <condition_variable>
#include <ctime>
#include <mutex>

namespace incursa::platform::tools {

namespace {

sigset_t interrupt_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

InterruptSignals::InterruptSignals() {
  const sigset_t set = interrupt_set();
  pthread_sigmask(SIG_BLOCK, &set, &previous_mask_);
  thread_ = std::thread([this, set] {
    // Polls done_ between waits: a blocked sigwait could not be told to end.
    const timespec tick{0, 50'000'000};
    while (!done_.load()) {
      if (sigtimedwait(&set, nullptr, &tick) > 0) source_.request_stop();
    }
  });
}

InterruptSignals::~InterruptSignals() {
  done_.store(true);
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

bool sleep_until(std::chrono::steady_clock::time_point deadline, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_until(lock, stop, deadline, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace incursa::platform::tools
