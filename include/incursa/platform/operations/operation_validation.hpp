// Checks for operations that arrive whole, from outside the Tracker: an import
// (opsctl import, OperationStore::restore) or an API that accepts snapshots.
// The rules are the Tracker's own (contract §7, limits.hpp), plus the invariants
// every stored operation keeps, so a record that passes could have been written
// by the Tracker.
//
// Thread-safe (stateless). Errors: ValidationError naming the field at fault
// (for events, "events[i].<field>").
#pragma once

#include <vector>

#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform {

// id, name, tags, messages, percent, progress and correlation by the contract §7
// rules; completed_at set exactly when the status is terminal; a cancel reason
// only with a cancel request; stall_count >= 0; version >= 1.
void validate_snapshot(const OperationSnapshot& snapshot);

// Each event belongs to `snapshot`, sequence numbers are positive and strictly
// increasing, keys are non-empty and unique, and kind, message and data JSON
// follow the contract §7 rules.
void validate_events(const OperationSnapshot& snapshot, const std::vector<OperationEvent>& events);

}  // namespace incursa::platform
