// StallMonitor: runs a StallPolicy on an interval in a background thread and
// marks what has gone quiet (contract §4).
//
// Each scan runs the policy's queries, then marks every operation found with
// the conditional mark_stalled: an operation that showed activity between the
// scan and the mark is left alone, and several monitors -- threads or processes
// sharing one store -- mark each operation once. Optionally it fails an
// operation once it has stalled N times.
//
// It marks and fails through the tracker and watcher it is given, and nothing
// else: for operation.stalled audit events and metrics, give it an
// ObservedTracker (observability/observed_tracker.hpp) as both.
//
// Thread safety: scan_once() may be called from any thread, but scans of one
// monitor do not overlap (a mutex serialises them). start()/stop() are for the
// owning thread. Ownership: holds references to the tracker and watcher, which
// must outlive it. The destructor stops.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

#include "incursa/platform/background_loop.hpp"
#include "incursa/platform/operations/operation_tracker.hpp"
#include "incursa/platform/operations/stall_policy.hpp"

namespace incursa::platform {

struct StallScanResult {
  std::vector<OperationSnapshot> marked;  // as they were after marking
  std::vector<OperationSnapshot> failed;  // completed as Failed after too many stalls
  // A rule found a full batch (batch_limit): more may be waiting. The background
  // thread then scans again at once instead of waiting the interval, so a
  // backlog is caught up batch after batch.
  bool backlog = false;
};

struct StallMonitorOptions {
  StallPolicy policy{};
  std::chrono::steady_clock::duration interval = std::chrono::minutes(1);
  std::size_t batch_limit = 500;       // per policy rule per scan
  std::int64_t fail_after_stalls = 0;  // 0: never; N: complete as Failed at the Nth stall
  std::function<void(const StallScanResult&)> on_scan{};  // after every background scan
  std::function<void(const std::exception&)> on_error{};  // a background scan failed
};

class StallMonitor {
 public:
  // Throws ValidationError if the policy is invalid.
  StallMonitor(OperationTracker& tracker, OperationWatcher& watcher, StallMonitorOptions options);
  ~StallMonitor();

  StallMonitor(const StallMonitor&) = delete;
  StallMonitor& operator=(const StallMonitor&) = delete;

  // One scan, now, on the calling thread. Throws what the store throws.
  StallScanResult scan_once();

  // Starts the background thread: a scan at once, then one per interval.
  void start();
  // Asks the thread to stop and joins it; returns as soon as a scan in progress
  // ends, without waiting out the interval.
  void stop();
  bool running() const noexcept { return loop_.running(); }

 private:
  OperationTracker& tracker_;
  OperationWatcher& watcher_;
  StallMonitorOptions options_;
  std::mutex scan_mutex_;
  BackgroundLoop loop_;  // last: its thread stops before the members it uses go
};

}  // namespace incursa::platform
