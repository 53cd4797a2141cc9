// What retention leaves of a purged operation for as long as its events are kept
// (contract §8): a tombstone, so that an id chosen by the caller -- a webhook's
// delivery id, say -- is not silently started afresh while evidence of the first
// operation with that id still exists. Once retention has removed the last of
// those events, the tombstone goes with it and the id is free again.
#pragma once

#include <optional>
#include <string>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/id.hpp"
#include "incursa/platform/operations/operation_status.hpp"

namespace incursa::platform {

struct PurgedOperation {
  OperationId id{};
  // An operation purged before the store kept tombstones got one when the store
  // was upgraded, made from its kept events: they do not name the operation, so
  // `name` is empty, and status and completed_at come from its last kept status
  // event (empty when none was kept).
  std::string name{};
  std::optional<OperationStatus> status{};  // the terminal status it had
  std::optional<Timestamp> completed_at{};
  Timestamp purged_at{};

  friend bool operator==(const PurgedOperation&, const PurgedOperation&) = default;
};

}  // namespace incursa::platform
