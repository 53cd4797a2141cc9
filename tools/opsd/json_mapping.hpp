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
// {"counts": {all six statuses}, "total": n}. With `at_most` (counts from
// count_by_status(filter, at_most)), a status above it shows at_most and is
// listed in "more", and "at_most" is given: the dashboard shows "10,000+".
nlohmann::json counts_json(const StatusCounts& counts,
                           std::optional<std::int64_t> at_most = std::nullopt);

}  // namespace incursa::platform::opsd
