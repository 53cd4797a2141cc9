// The JSON form of an audit event, for the export format and the opsd API. Field
// names are snake_case like operation_json.hpp's; timestamps are ISO-8601 UTC
// with microseconds; data_json stays the caller's exact text (a string).
//
//   {"id":…,"occurred_at":…,"name":…,"display_message":…,"outcome":"Success",
//    "anchors":[{"type":…,"id":…,"role":…}],"data_json":…|null,
//    "actor":{"type":…,"id":…,"display":…|null}|null,"correlation":{…}|null}
//
// Errors: audit_event_from_json throws ValidationError naming the field. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "incursa/platform/audit/audit_event.hpp"

namespace incursa::platform::tools {

nlohmann::ordered_json audit_event_to_json(const platform::AuditEvent& event);
platform::AuditEvent audit_event_from_json(const nlohmann::ordered_json& json);

}  // namespace incursa::platform::tools
