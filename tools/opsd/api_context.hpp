// What every route handler shares: the tracker chain, the change feed, auth,
// limits, and the slot counters that bound long-lived requests.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "auth.hpp"
#include "change_feed.hpp"
#include "incursa/platform/clock.hpp"
#include "incursa/platform/observability/operation_metrics.hpp"
#include "incursa/platform/operations/operation_tracker.hpp"

namespace incursa::platform::opsd {

struct ServerLimits {
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 32 * 1024;  // all request headers together
  std::size_t max_header_count = 100;
  std::size_t max_page_size = 1000;
  std::size_t max_streams = 64;     // concurrent GET /v1/stream
  std::size_t max_waits = 64;       // concurrent :wait
  std::size_t worker_threads = 32;  // for everything else
  std::chrono::milliseconds default_wait = std::chrono::seconds(30);
  std::chrono::milliseconds max_wait = std::chrono::seconds(60);
  std::chrono::milliseconds read_timeout = std::chrono::seconds(5);
  // The whole request (line, headers, body) must arrive within this of its first byte.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(30);
  std::chrono::milliseconds write_timeout = std::chrono::seconds(5);
  std::chrono::seconds keep_alive_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds stream_heartbeat = std::chrono::seconds(15);
};

// A bounded count of in-flight requests of one kind (streams, waits).
class Slots {
 public:
  explicit Slots(std::size_t max) : max_(max) {}

  bool try_acquire() {
    std::size_t used = used_.load();
    do {
      if (used >= max_) return false;
    } while (!used_.compare_exchange_weak(used, used + 1));
    return true;
  }
  void release() { used_.fetch_sub(1); }
  std::size_t in_use() const { return used_.load(); }
  std::size_t max() const { return max_; }

 private:
  const std::size_t max_;
  std::atomic<std::size_t> used_{0};
};

struct ApiContext {
  ApiContext(OperationTracker& tracker_, ChangeFeed& feed_, OperationMetrics& metrics_,
             const AuthPolicy& auth_, ServerLimits limits_, std::string store_kind_,
             const Clock& clock_)
      : tracker(tracker_),
        feed(feed_),
        metrics(metrics_),
        auth(auth_),
        limits(limits_),
        store_kind(std::move(store_kind_)),
        clock(clock_),
        streams(limits_.max_streams),
        waits(limits_.max_waits) {}

  OperationTracker& tracker;  // the outermost decorator: writes reach the feed
  ChangeFeed& feed;
  OperationMetrics& metrics;
  const AuthPolicy& auth;
  const ServerLimits limits;
  const std::string store_kind;
  const Clock& clock;
  Slots streams;
  Slots waits;
  std::vector<std::string> cors_origins;  // empty: CORS off
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

}  // namespace incursa::platform::opsd
