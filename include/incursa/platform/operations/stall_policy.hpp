// Stall policy: how long each kind of operation may go quiet (contract §4).
//
//   StallPolicy policy;
//   policy.default_threshold = 6h;
//   policy.thresholds = {{"Webhook.", 30min}, {"Batch.", 6h}};  // longest prefix wins
//   policy.pending_limit = 10min;        // at most 10 min between start and first progress
//   policy.no_progress_threshold = 2h;   // heartbeats without progress count as stalled
//
// Thresholds apply to activity (any write). The pending limit applies to Pending
// operations from their start. The no-progress threshold applies to Running
// operations from their last progress update, however often they heartbeat.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/operations/operation_tracker.hpp"

namespace incursa::platform {

struct StallPolicy {
  using Duration = std::chrono::system_clock::duration;

  Duration default_threshold = std::chrono::minutes(30);
  std::map<std::string, Duration> thresholds{};  // by operation-name prefix
  std::optional<Duration> pending_limit{};
  std::optional<Duration> no_progress_threshold{};

  // The activity threshold for an operation name: the longest matching prefix's, else the default.
  Duration threshold_for(std::string_view name) const;

  // Throws ValidationError for negative or zero durations and empty prefixes.
  void validate() const;

  // The queries that find everything this policy calls stalled, one per rule,
  // each excluding names that a longer prefix rule owns. Used by StallMonitor.
  std::vector<StallQuery> queries(std::size_t limit_per_query) const;
};

// Parses a duration such as "30m", "6h", "45s", "2d", "1h30m" or "250ms".
// Throws ValidationError(field) on anything else.
std::chrono::system_clock::duration parse_duration(std::string_view text,
                                                   std::string_view field = "duration");

}  // namespace incursa::platform
