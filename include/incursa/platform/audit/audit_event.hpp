// Audit events: the append-only record of what happened to a business object
// (contract §6). An event is anchored to one or more objects (an Operation, an
// Invoice, a Customer …) so it can be found from any of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/correlation/correlation_context.hpp"
#include "incursa/platform/id.hpp"

namespace incursa::platform {

enum class EventOutcome : std::uint8_t { Success, Failure, Warning, Info };

// Exactly "Success", "Failure", "Warning", "Info".
std::string_view to_string(EventOutcome outcome) noexcept;
// Throws ValidationError(field) for anything but the four words.
EventOutcome parse_event_outcome(std::string_view text, std::string_view field = "outcome");

// "This event is about object `id` of kind `type`, in the role `role`."
struct EventAnchor {
  std::string type;  // e.g. "Operation", "Invoice"
  std::string id;
  std::string role;  // e.g. "Subject", "Actor", "Target"

  friend bool operator==(const EventAnchor&, const EventAnchor&) = default;
};

struct AuditActor {
  std::string type;  // e.g. "User", "Service"
  std::string id;
  std::optional<std::string> display{};

  friend bool operator==(const AuditActor&, const AuditActor&) = default;
};

struct AuditEvent {
  AuditEventId id{};
  Timestamp occurred_at{};
  std::string name{};             // lowercase dot-separated segments, e.g. "webhook.processed"
  std::string display_message{};  // for people
  EventOutcome outcome = EventOutcome::Info;
  std::vector<EventAnchor> anchors{};
  std::optional<std::string> data_json{};
  std::optional<AuditActor> actor{};
  std::optional<CorrelationContext> correlation{};

  friend bool operator==(const AuditEvent&, const AuditEvent&) = default;
};

// The position of an audit event in the newest-first order.
struct AuditCursor {
  Timestamp occurred_at{};
  AuditEventId id{};
};

// Filters for reading audit events. Newest first (occurred_at, then id, descending).
struct AuditQuery {
  // An event matches if any of its anchors has the type and id of any of these
  // (the role is ignored when empty). None given: no anchor filter.
  std::vector<EventAnchor> anchors{};
  std::optional<Timestamp> from{};  // occurred_at >= from
  std::optional<Timestamp> to{};    // occurred_at < to
  // Exact name, or a prefix when it ends in '*' ("invoice.*").
  std::optional<std::string> name{};
  std::optional<CorrelationId> correlation_id{};
  std::size_t limit = 100;
  // Keyset paging: only events strictly older than this one in the newest-first
  // order, i.e. (occurred_at, id) < (before->occurred_at, before->id).
  std::optional<AuditCursor> before{};
};

}  // namespace incursa::platform

namespace incursa::platform {

// True if `event` passes every filter of `query` (the limit aside): the
// reference semantics every store's audit query must agree with.
bool matches(const AuditQuery& query, const AuditEvent& event);

}  // namespace incursa::platform
