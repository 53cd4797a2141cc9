#include "incursa/platform/operations/stall_policy.hpp"

#include <cctype>

#include "base/text.hpp"
#include "base/validation.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform {

using Duration = StallPolicy::Duration;

Duration StallPolicy::threshold_for(std::string_view name) const {
  const std::string* best = nullptr;
  for (const auto& [prefix, threshold] : thresholds) {
    if (name.starts_with(prefix) && (!best || prefix.size() > best->size())) best = &prefix;
  }
  return best ? thresholds.at(*best) : default_threshold;
}

void StallPolicy::validate() const {
  if (default_threshold <= Duration::zero()) {
    throw ValidationError("default_threshold", "must be positive");
  }
  for (const auto& [prefix, threshold] : thresholds) {
    if (prefix.empty()) throw ValidationError("thresholds", "prefixes must not be empty");
    validation::name_prefix(prefix, "thresholds");
    if (threshold <= Duration::zero()) {
      throw ValidationError("thresholds[" + prefix + "]", "must be positive");
    }
  }
  if (pending_limit && *pending_limit <= Duration::zero()) {
    throw ValidationError("pending_limit", "must be positive");
  }
  if (no_progress_threshold && *no_progress_threshold <= Duration::zero()) {
    throw ValidationError("no_progress_threshold", "must be positive");
  }
}

std::vector<StallQuery> StallPolicy::queries(std::size_t limit_per_query) const {
  std::vector<StallQuery> out;
  // Names a rule owns are those it matches, minus those a longer matching prefix owns.
  const auto longer_prefixes = [&](const std::string* prefix) {
    std::vector<std::string> longer;
    for (const auto& [other, threshold] : thresholds) {
      if (!prefix || (other.size() > prefix->size() && other.starts_with(*prefix))) {
        longer.push_back(other);
      }
    }
    return longer;
  };
  const auto activity = [&](Duration threshold, const std::string* prefix) {
    StallQuery q;
    q.threshold = threshold;
    q.basis = ActivityBasis::Activity;
    q.limit = limit_per_query;
    if (prefix) q.name_prefix = *prefix;
    q.exclude_name_prefixes = longer_prefixes(prefix);
    out.push_back(q);
  };
  activity(default_threshold, nullptr);
  for (const auto& [prefix, threshold] : thresholds) activity(threshold, &prefix);
  if (pending_limit) {
    // A Pending operation's last_progress_at is its start: nothing but progress moves it,
    // and progress makes it Running.
    StallQuery q;
    q.threshold = *pending_limit;
    q.basis = ActivityBasis::Progress;
    q.statuses = StatusSet{OperationStatus::Pending};
    q.limit = limit_per_query;
    out.push_back(q);
  }
  if (no_progress_threshold) {
    StallQuery q;
    q.threshold = *no_progress_threshold;
    q.basis = ActivityBasis::Progress;
    q.statuses = StatusSet{OperationStatus::Running};
    q.limit = limit_per_query;
    out.push_back(q);
  }
  return out;
}

Duration parse_duration(std::string_view text, std::string_view field) {
  const std::string_view s = detail::trim(text);
  const auto fail = [&]() -> Duration {
    throw ValidationError(std::string(field),
                          "must be a duration like 250ms, 45s, 30m, 6h, 2d or 1h30m");
  };
  if (s.empty()) return fail();
  // Summed in milliseconds, capped at 100 years, so no input can overflow a Duration.
  constexpr std::int64_t kMaxMs = 100LL * 365 * 24 * 3600 * 1000;
  std::int64_t total_ms = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::int64_t n = 0;
    std::size_t digits = 0;
    while (i < s.size() && detail::is_ascii_digit(s[i])) {
      if (++digits > 12) return fail();
      n = n * 10 + (s[i++] - '0');
    }
    if (digits == 0) return fail();
    const std::size_t unit_start = i;
    while (i < s.size() && detail::is_ascii_alpha(s[i])) ++i;
    const std::string_view unit = s.substr(unit_start, i - unit_start);
    std::int64_t unit_ms = 0;
    if (unit == "ms")
      unit_ms = 1;
    else if (unit == "s")
      unit_ms = 1000;
    else if (unit == "m")
      unit_ms = 60'000;
    else if (unit == "h")
      unit_ms = 3'600'000;
    else if (unit == "d")
      unit_ms = 86'400'000;
    else
      return fail();
    if (n > kMaxMs / unit_ms || total_ms + n * unit_ms > kMaxMs) {
      throw ValidationError(std::string(field), "must be at most 100 years");
    }
    total_ms += n * unit_ms;
  }
  const Duration total = std::chrono::milliseconds(total_ms);
  return total;
}

}  // namespace incursa::platform
