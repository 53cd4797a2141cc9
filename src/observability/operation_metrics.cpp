#include "incursa/platform/observability/operation_metrics.hpp"

#include <charconv>

namespace incursa::platform {

namespace {

// Label values are escaped per the exposition format: backslash, quote, newline.
std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// The shortest text that reads back as the same double ("0.1", not
// "0.10000000000000001"), as Prometheus clients write bucket bounds.
std::string number(double v) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

void counter(std::string& out, std::string_view name, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" counter\n");
}

}  // namespace

void OperationMetrics::event_added(std::string_view kind) {
  std::lock_guard lock(mutex_);
  auto it = events_.find(kind);
  if (it == events_.end()) {
    it = events_.size() < kMaxEventKinds ? events_.emplace(std::string(kind), 0).first
                                         : events_.try_emplace("other", 0).first;
  }
  ++it->second;
}

void OperationMetrics::operation_completed(OperationStatus status,
                                           std::chrono::system_clock::duration duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(mutex_);
  ++completed_[status];
  Histogram& h = durations_[status];
  ++h.count;
  h.sum += seconds;
  for (std::size_t i = 0; i < kDurationBuckets.size(); ++i) {
    if (seconds <= kDurationBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
}

std::uint64_t OperationMetrics::event_added_total(std::string_view kind) const {
  std::lock_guard lock(mutex_);
  const auto it = events_.find(kind);
  return it == events_.end() ? 0 : it->second;
}

std::uint64_t OperationMetrics::completed_total(OperationStatus status) const {
  std::lock_guard lock(mutex_);
  const auto it = completed_.find(status);
  return it == completed_.end() ? 0 : it->second;
}

std::string OperationMetrics::to_prometheus() const {
  constexpr std::string_view p = "incursa_platform_operations_";
  std::string out;
  const auto simple = [&](std::string_view suffix, std::string_view help, std::uint64_t value) {
    const std::string name = std::string(p) + std::string(suffix);
    counter(out, name, help);
    out += name + " " + std::to_string(value) + "\n";
  };
  simple("started_total", "Operations started.", started_total());
  simple("progress_updated_total", "Progress updates recorded.", progress_updated_total());
  simple("stalled_total", "Operations marked stalled.", stalled_total());

  std::lock_guard lock(mutex_);
  const std::string events = std::string(p) + "event_added_total";
  counter(out, events, "Events added, by kind.");
  for (const auto& [kind, n] : events_) {
    out += events + "{kind=\"" + escape_label(kind) + "\"} " + std::to_string(n) + "\n";
  }
  const std::string completed = std::string(p) + "completed_total";
  counter(out, completed, "Operations completed, by terminal status.");
  for (const auto& [status, n] : completed_) {
    out += completed + "{status=\"" + std::string(to_string(status)) + "\"} " + std::to_string(n) +
           "\n";
  }
  const std::string duration = "incursa_platform_operation_duration_seconds";
  out += "# HELP " + duration + " Time from start to completion.\n";
  out += "# TYPE " + duration + " histogram\n";
  for (const auto& [status, h] : durations_) {
    const std::string label = "status=\"" + std::string(to_string(status)) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kDurationBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      out += duration + "_bucket{" + label + ",le=\"" + number(kDurationBuckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += duration + "_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += duration + "_sum{" + label + "} " + number(h.sum) + "\n";
    out += duration + "_count{" + label + "} " + std::to_string(h.count) + "\n";
  }
  return out;
}

}  // namespace incursa::platform
