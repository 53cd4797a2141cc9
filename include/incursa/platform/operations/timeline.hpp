// "What happened to X?": one operation's snapshot, its events, its children and
// the audit events anchored to it or to one of its children, merged in time
// order (contract §5). Operations that only share its correlation id (a parent's
// other children, say) are not its history: they are listed apart, in `related`.
//
// A timeline is bounded (TimelineLimits); `truncated` says what was left out
// and where each part resumes, so a caller can page the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "incursa/platform/audit/audit_event.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform {

struct TimelineEntry {
  enum class Source : std::uint8_t {
    Event,         // one of the operation's own events (status changes included)
    ChildStarted,  // a child operation (its snapshot as of now)
    Audit,         // an audit event anchored to the operation or to one of its children
  };
  Source source = Source::Event;
  Timestamp at{};
  std::optional<OperationEvent> event{};
  std::optional<OperationSnapshot> child{};
  std::optional<AuditEvent> audit{};
};

// How much one timeline holds of each part (each 1..10000).
struct TimelineLimits {
  std::size_t events = 10000;   // the first events, by sequence
  std::size_t children = 1000;  // the first children, oldest first
  std::size_t audit = 1000;     // the newest audit events
  std::size_t related = 100;    // the newest related operations
};

// What a timeline left out, and how to read it. All empty: nothing was left out.
struct TimelineTruncation {
  // Events after this sequence: events(id, *events_after).
  std::optional<std::int64_t> events_after{};
  // More children: children(id, limit, *children_page_token).
  std::optional<std::string> children_page_token{};
  // Older audit events: query_audit_events with the operation's and the shown
  // children's anchors ("Operation", id) and before = *audit_before.
  std::optional<AuditCursor> audit_before{};
  // More related operations: list() filtered by the correlation id.
  bool related = false;

  bool any() const noexcept {
    return events_after || children_page_token || audit_before || related;
  }
};

struct Timeline {
  OperationSnapshot operation;
  // In time order; ties keep the source order above, events by sequence.
  std::vector<TimelineEntry> entries;
  // Operations with the same correlation id that are neither this one nor its
  // children (its parent, its siblings), newest first. Not interleaved.
  std::vector<OperationSnapshot> related;
  TimelineTruncation truncated;
};

}  // namespace incursa::platform
