// Operation metrics with Prometheus text exposition (contract §6), no server needed:
// call to_prometheus() and serve or write the text however suits.
//
//   incursa_platform_operations_started_total
//   incursa_platform_operations_progress_updated_total
//   incursa_platform_operations_event_added_total{kind="…"}
//   incursa_platform_operations_completed_total{status="…"}
//   incursa_platform_operations_stalled_total
//   incursa_platform_operation_duration_seconds (histogram, by status)
//
// Thread safety: every method may be called from many threads at once.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "incursa/platform/operations/operation_status.hpp"

namespace incursa::platform {

class OperationMetrics {
 public:
  // Event kinds are caller-chosen; past this many distinct kinds the rest are
  // counted under kind="other" so a buggy caller cannot explode the series count.
  static constexpr std::size_t kMaxEventKinds = 100;
  // Upper bounds of the duration histogram, in seconds (+Inf is implied).
  static constexpr std::array<double, 12> kDurationBuckets{0.01, 0.1, 0.5,  1,    5,     30,
                                                           60,   300, 1800, 3600, 21600, 86400};

  void operation_started() noexcept { started_.fetch_add(1, std::memory_order_relaxed); }
  void progress_updated() noexcept { progress_.fetch_add(1, std::memory_order_relaxed); }
  void operation_stalled() noexcept { stalled_.fetch_add(1, std::memory_order_relaxed); }
  void event_added(std::string_view kind);
  void operation_completed(OperationStatus status, std::chrono::system_clock::duration duration);

  std::uint64_t started_total() const noexcept { return started_.load(); }
  std::uint64_t progress_updated_total() const noexcept { return progress_.load(); }
  std::uint64_t stalled_total() const noexcept { return stalled_.load(); }
  std::uint64_t event_added_total(std::string_view kind) const;
  std::uint64_t completed_total(OperationStatus status) const;

  // The Prometheus text exposition format (version 0.0.4).
  std::string to_prometheus() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kDurationBuckets.size()> buckets{};  // non-cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  std::atomic<std::uint64_t> started_{0};
  std::atomic<std::uint64_t> progress_{0};
  std::atomic<std::uint64_t> stalled_{0};
  mutable std::mutex mutex_;  // guards the labelled series below
  std::map<std::string, std::uint64_t, std::less<>> events_;
  std::map<OperationStatus, std::uint64_t> completed_;
  std::map<OperationStatus, Histogram> durations_;
};

}  // namespace incursa::platform
