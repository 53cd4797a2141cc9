// "What happened to X?": one operation's snapshot, its events, its children and
// the audit events anchored to it or sharing its correlation id, merged in time
// order (SPEC §5).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "incursa/platform/audit/audit_event.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform {

struct TimelineEntry {
  enum class Source : std::uint8_t {
    Event,         // one of the operation's own events (status changes included)
    ChildStarted,  // a child operation (its snapshot as of now)
    Audit,         // an audit event anchored to the operation or sharing its correlation
  };
  Source source = Source::Event;
  Timestamp at{};
  std::optional<OperationEvent> event{};
  std::optional<OperationSnapshot> child{};
  std::optional<AuditEvent> audit{};
};

struct Timeline {
  OperationSnapshot operation;
  // In time order; ties keep the source order above, events by sequence.
  std::vector<TimelineEntry> entries;
};

}  // namespace incursa::platform
