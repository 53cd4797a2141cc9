// operation_json.hpp's decoders for a document already parsed: a reader that
// parses a larger document once (opsctl import, a line per operation) decodes
// its parts without printing and parsing them again. Same rules and errors as
// snapshot_from_json / event_from_json (ValidationError naming the field).
// Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform {

OperationSnapshot snapshot_from_json_value(const nlohmann::ordered_json& json);
OperationEvent event_from_json_value(const nlohmann::ordered_json& json);

}  // namespace incursa::platform
