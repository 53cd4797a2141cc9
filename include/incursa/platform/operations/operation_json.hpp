// The one JSON encoding of operation values, shared by the stores' JSON columns,
// opsctl export/import and the opsd API. Field names are snake_case as in contract §3;
// timestamps are ISO-8601 UTC strings with microseconds.
//
// The *_from_json functions throw ValidationError (field "json" or the field at
// fault) on malformed input. All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "incursa/platform/correlation/correlation_context.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"
#include "incursa/platform/operations/purged_operation.hpp"
#include "incursa/platform/operations/timeline.hpp"

namespace incursa::platform {

std::string to_json(const OperationSnapshot& snapshot);
std::string to_json(const OperationEvent& event);
std::string to_json(const CorrelationContext& correlation);
std::string to_json(const Tags& tags);
// {"id","name","status","completed_at","purged_at"}; unknown values are null.
std::string to_json(const PurgedOperation& purged);
// null when nothing was left out, else {"events_after": n|null, "children_page_token":
// s|null, "audit_before": {"occurred_at","id"}|null, "related": bool}.
std::string to_json(const TimelineTruncation& truncated);

OperationSnapshot snapshot_from_json(std::string_view json);
OperationEvent event_from_json(std::string_view json);
CorrelationContext correlation_from_json(std::string_view json);
Tags tags_from_json(std::string_view json);

}  // namespace incursa::platform
