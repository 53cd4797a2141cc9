// The stall-policy file: a StallPolicy (and the monitor's fail-after count) as JSON.
//
//   {"default": "6h",
//    "thresholds": {"Webhook.": "30m", "Batch.": "6h"},
//    "pending_limit": "10m",
//    "no_progress": "2h",
//    "fail_after_stalls": 3}
//
// Every key is optional; durations use parse_duration's syntax. An unknown key
// is an error naming it (a misspelt "pending_limt" must not be silently ignored).
// Errors: ValidationError naming the file and the key at fault. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "incursa/platform/operations/stall_policy.hpp"

namespace incursa::platform::tools {

struct StallPolicyFile {
  platform::StallPolicy policy{};
  std::int64_t fail_after_stalls = 0;  // 0: never fail an operation for stalling
};

// Parses the JSON text; `source` (e.g. the path) prefixes every error.
StallPolicyFile parse_stall_policy(std::string_view json, std::string_view source);

// Reads and parses the file at `path`.
StallPolicyFile load_stall_policy_file(const std::string& path);

}  // namespace incursa::platform::tools
