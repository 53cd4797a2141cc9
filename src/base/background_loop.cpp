#include "incursa/platform/background_loop.hpp"

#include <utility>

namespace incursa::platform {

BackgroundLoop::BackgroundLoop(Duration interval, std::function<bool()> run,
                               std::function<void(const std::exception&)> on_error)
    : interval_(interval), run_(std::move(run)), on_error_(std::move(on_error)) {}

BackgroundLoop::~BackgroundLoop() { stop(); }

void BackgroundLoop::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

void BackgroundLoop::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  wake_.notify_all();
  thread_.join();
}

void BackgroundLoop::loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    bool more = false;
    try {
      more = run_();
    } catch (const std::exception& e) {
      // A failed run (a store outage, say) must not end the loop; the next one retries.
      if (on_error_) on_error_(e);
    }
    if (more) continue;
    std::unique_lock lock(wait_mutex_);
    wake_.wait_for(lock, stop, interval_, [] { return false; });
  }
}

}  // namespace incursa::platform
