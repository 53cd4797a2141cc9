// The stall-policy file (tools/common stall_policy_file.*), as read by
// `opsctl stall --policy` and opsd's stall monitor.
//
// Properties: a parsed file holds a policy that validate() accepts (every
// duration positive, no empty prefix) and a non-negative fail_after_stalls; the
// policy written back as JSON (durations as "1d2h3m4s5ms") parses to the same policy (a
// round trip); the policy's stall queries can be built; every rejection is a
// ValidationError whose field starts with the source name.
#include <cstdint>
#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/tools/stall_policy_file.hpp"

namespace {

using namespace incursa;
using namespace incursa::platform;
using platform::StallPolicy;

// Exact in parse_duration's syntax, each number within its 12 digits: "1d2h3m4s5ms".
std::string ms(StallPolicy::Duration d) {
  std::int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  std::string out;
  for (const auto& [unit, size] :
       {std::pair{"d", 86'400'000LL}, std::pair{"h", 3'600'000LL}, std::pair{"m", 60'000LL},
        std::pair{"s", 1'000LL}, std::pair{"ms", 1LL}}) {
    if (left >= size) out += std::to_string(left / size) + unit;
    left %= size;
  }
  return out.empty() ? "0ms" : out;
}

bool same(const tools::StallPolicyFile& a, const tools::StallPolicyFile& b) {
  return a.fail_after_stalls == b.fail_after_stalls &&
         a.policy.default_threshold == b.policy.default_threshold &&
         a.policy.thresholds == b.policy.thresholds &&
         a.policy.pending_limit == b.policy.pending_limit &&
         a.policy.no_progress_threshold == b.policy.no_progress_threshold;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  tools::StallPolicyFile file;
  try {
    file = tools::parse_stall_policy(text, "policy.json");
  } catch (const platform::ValidationError& e) {
    FUZZ_CHECK(e.field().rfind("policy.json", 0) == 0);
    return 0;
  }
  file.policy.validate();  // must not throw
  FUZZ_CHECK(file.fail_after_stalls >= 0);

  nlohmann::json out = {{"default", ms(file.policy.default_threshold)},
                        {"fail_after_stalls", file.fail_after_stalls}};
  nlohmann::json thresholds = nlohmann::json::object();
  for (const auto& [prefix, d] : file.policy.thresholds) {
    FUZZ_CHECK(!prefix.empty() && d > StallPolicy::Duration::zero());
    thresholds[prefix] = ms(d);
  }
  out["thresholds"] = thresholds;
  if (file.policy.pending_limit) out["pending_limit"] = ms(*file.policy.pending_limit);
  if (file.policy.no_progress_threshold) {
    out["no_progress"] = ms(*file.policy.no_progress_threshold);
  }
  const tools::StallPolicyFile back = tools::parse_stall_policy(out.dump(), "again");
  FUZZ_CHECK(same(file, back));

  // One query per rule (the default, each prefix, pending, no-progress).
  const auto queries = file.policy.queries(10);
  FUZZ_CHECK(queries.size() >= 1 + file.policy.thresholds.size());
  return 0;
}
