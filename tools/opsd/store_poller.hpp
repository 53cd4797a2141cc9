// StorePoller: finds writes made by *other* processes sharing the store (another
// opsd, a service using the library directly, opsctl) and publishes them to the
// ChangeFeed, so the dashboard and :wait see them too.
//
// Every `interval` it lists the operations whose updated_at is at or after its
// watermark minus `overlap`, oldest first, and publishes each as an `updated`
// change; the feed drops the ones it already has (same version). The overlap
// covers a writer whose clock stamped updated_at a little before its commit
// became visible, and modest clock skew between machines. The watermark starts
// at "now", so old history is not replayed at start-up.
//
// Each poll reads at most `max_rows` rows, so a burst of remote writes cannot
// stall the poller. Past that bound some remote changes of the burst may not be
// streamed (the watermark still advances); readers that must not miss anything
// re-read the store, as :wait does on its deadline and the dashboard does on a
// slow timer.
//
// Thread safety: start()/stop() from the owning thread; poll_once() from any.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>

#include "change_feed.hpp"
#include "incursa/platform/background_loop.hpp"
#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_tracker.hpp"

namespace incursa::platform::opsd {

struct StorePollerOptions {
  std::chrono::steady_clock::duration interval = std::chrono::seconds(1);
  std::chrono::system_clock::duration overlap = std::chrono::seconds(2);
  std::size_t max_rows = 5000;
  std::function<void(const std::exception&)> on_error{};
};

class StorePoller {
 public:
  StorePoller(OperationTracker& reader, ChangeFeed& feed, const Clock& clock,
              StorePollerOptions options);
  ~StorePoller();

  StorePoller(const StorePoller&) = delete;
  StorePoller& operator=(const StorePoller&) = delete;

  // One poll on the calling thread; returns how many changes it published.
  std::size_t poll_once();

  // A poll at once, then one every interval, on a background thread (BackgroundLoop).
  void start() { loop_.start(); }
  void stop() { loop_.stop(); }

 private:
  OperationTracker& reader_;
  ChangeFeed& feed_;
  const Clock& clock_;
  StorePollerOptions options_;
  std::mutex poll_mutex_;
  Timestamp watermark_;
  BackgroundLoop loop_;  // last: its thread stops before the members it uses go
};

}  // namespace incursa::platform::opsd
