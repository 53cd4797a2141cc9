#include "incursa/platform/operations/stall_monitor.hpp"

#include "incursa/platform/error.hpp"

namespace incursa::platform {

StallMonitor::StallMonitor(OperationTracker& tracker, OperationWatcher& watcher,
                           StallMonitorOptions options)
    : tracker_(tracker),
      watcher_(watcher),
      options_(std::move(options)),
      loop_(
          options_.interval,
          [this] {
            StallScanResult result = scan_once();
            if (options_.on_scan) options_.on_scan(result);
            return result.backlog;  // a full batch: scan again at once
          },
          options_.on_error) {
  options_.policy.validate();
  if (options_.batch_limit == 0) throw ValidationError("batch_limit", "must be positive");
  if (options_.fail_after_stalls < 0) {
    throw ValidationError("fail_after_stalls", "must not be negative");
  }
}

StallMonitor::~StallMonitor() { stop(); }

StallScanResult StallMonitor::scan_once() {
  std::lock_guard scan_lock(scan_mutex_);
  StallScanResult result;
  for (const StallQuery& query : options_.policy.queries(options_.batch_limit)) {
    const std::vector<OperationSnapshot> stale = watcher_.find_stalled(query);
    // A full batch that marked something may have more behind it; one that
    // marked nothing would only find the same rows again.
    const std::size_t marked_before = result.marked.size();
    const auto more_behind = [&] {
      return stale.size() >= query.limit && result.marked.size() > marked_before;
    };
    for (const OperationSnapshot& found : stale) {
      // "Still exactly as quiet as when found": any write since moves the basis time past it.
      const Timestamp seen =
          query.basis == ActivityBasis::Progress ? found.last_progress_at : found.updated_at;
      const StaleCondition unchanged{query.basis, seen + std::chrono::microseconds(1)};
      if (!watcher_.mark_stalled(found.id, unchanged)) continue;  // someone else, or it woke up

      std::optional<OperationSnapshot> marked = tracker_.get_snapshot(found.id);
      if (!marked) continue;
      if (options_.fail_after_stalls > 0 && marked->stall_count >= options_.fail_after_stalls &&
          marked->status == OperationStatus::Stalled) {
        try {
          OperationSnapshot failed =
              tracker_.complete(marked->id, OperationStatus::Failed,
                                "stalled " + std::to_string(marked->stall_count) + " times");
          result.failed.push_back(std::move(failed));
        } catch (const InvalidTransitionError&) {
          // It completed on its own in the meantime: nothing to fail.
        }
      }
      result.marked.push_back(std::move(*marked));
    }
    result.backlog = result.backlog || more_behind();
  }
  return result;
}

void StallMonitor::start() { loop_.start(); }

void StallMonitor::stop() { loop_.stop(); }

}  // namespace incursa::platform
