// The current state of one operation, and its events (contract §3).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/correlation/correlation_context.hpp"
#include "incursa/platform/id.hpp"
#include "incursa/platform/operations/operation_status.hpp"

namespace incursa::platform {

using Tags = std::map<std::string, std::string>;

// Structured progress: "312 of 1,000 rows". `total` may be unknown.
struct StructuredProgress {
  std::int64_t current = 0;
  std::optional<std::int64_t> total{};
  std::string unit{};  // e.g. "rows", "files"; may be empty

  friend bool operator==(const StructuredProgress&, const StructuredProgress&) = default;
};

struct OperationSnapshot {
  OperationId id{};
  std::string name{};
  OperationStatus status = OperationStatus::Pending;
  Timestamp started_at{};
  Timestamp updated_at{};                   // last write of any kind
  Timestamp last_progress_at{};             // last update_progress; started_at until the first one
  std::optional<Timestamp> completed_at{};  // set once, by the terminal transition
  std::optional<double> percent{};          // 0..100
  std::optional<std::string> message{};     // last progress or completion message
  std::optional<StructuredProgress> progress{};
  std::optional<CorrelationContext> correlation{};
  std::optional<OperationId> parent_id{};
  Tags tags{};
  std::optional<Timestamp> cancel_requested_at{};
  std::optional<std::string> cancel_reason{};
  std::int64_t stall_count = 0;
  std::int64_t version = 1;  // 1 at creation, +1 on every write

  bool cancel_requested() const noexcept { return cancel_requested_at.has_value(); }
  bool terminal() const noexcept { return is_terminal(status); }

  friend bool operator==(const OperationSnapshot&, const OperationSnapshot&) = default;
};

// One entry of an operation's append-only log. `sequence` is 1, 2, 3 … per
// operation, so a timeline has a total order even when timestamps tie.
struct OperationEvent {
  OperationId operation_id{};
  std::int64_t sequence = 0;
  Timestamp occurred_at{};
  std::string kind{};  // "status", "cancel_requested", "Error", or the caller's own
  std::optional<std::string> message{};
  std::optional<std::string> data_json{};
  // Client-generated idempotency key: a retried append carrying the same key is
  // not written twice.
  std::string key{};

  friend bool operator==(const OperationEvent&, const OperationEvent&) = default;
};

// Kinds the library itself writes.
namespace event_kinds {
inline constexpr const char* kStatus = "status";
inline constexpr const char* kCancelRequested = "cancel_requested";
inline constexpr const char* kError = "Error";
}  // namespace event_kinds

}  // namespace incursa::platform
