// The API's JSON shapes. Operations and events use the library's one encoding
// (operation_json.hpp: snake_case, contract §3 names, ISO-8601 UTC timestamps) so
// opsd, opsctl export and the stores agree; opsd adds `done` to operations (as
// Google's long-running operations do) and encodes what the library has no JSON
// for: audit events, timelines and status counts.
#pragma once

#include <nlohmann/json.hpp>

#include "incursa/platform/audit/audit_event.hpp"
#include "incursa/platform/operations/operation_query.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"
#include "incursa/platform/operations/timeline.hpp"

namespace incursa::platform::opsd {

nlohmann::json operation_json(const OperationSnapshot& operation);
nlohmann::json event_json(const OperationEvent& event);
nlohmann::json audit_json(const AuditEvent& event);
nlohmann::json timeline_json(const Timeline& timeline);
// {"operations":[…], "next_page_token": "…"} (the token only when another page exists).
nlohmann::json page_json(const OperationPage& page);
// Every status, zeros included, so a client never has to guess a missing key.
nlohmann::json counts_json(const StatusCounts& counts);

}  // namespace incursa::platform::opsd
