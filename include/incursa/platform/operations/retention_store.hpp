// The retention capability of a store: the primitives purge() (retention.hpp)
// runs in bounded batches. A store that has it returns it from
// OperationStore::retention() (the built-in stores all do).
//
// Thread safety: every method may be called from many threads and processes at
// once; two purgers racing on one store delete each row once.
// Errors: StoreError only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"
#include "incursa/platform/operations/purged_operation.hpp"

namespace incursa::platform {

// What a retention purge may remove (contract §8). Only terminal operations are
// ever touched; a status without a cutoff is kept forever.
struct PurgeRequest {
  std::optional<Timestamp> succeeded_before{};  // completed_at < this
  std::optional<Timestamp> failed_before{};
  std::optional<Timestamp> canceled_before{};
  std::size_t limit = 500;  // at most this many operations per call
  Timestamp now{};          // when the purge runs: the tombstones' purged_at
};

struct PurgeCandidate {
  OperationSnapshot snapshot;
  std::int64_t event_count = 0;
};

class RetentionStore {
 public:
  virtual ~RetentionStore() = default;

  // Terminal operations the request allows to purge, oldest completion first
  // (ties by id), at most `limit`, with their event counts. Reads only.
  virtual std::vector<PurgeCandidate> find_purgeable(const PurgeRequest& request) = 0;

  // Deletes the snapshots of these operations, each only if it is still terminal
  // and still completed before its status's cutoff in `request` (so a row that
  // changed since find_purgeable is left alone). Their events stay: events have
  // their own keep period. Each deleted operation that still has events leaves a
  // tombstone (PurgedOperation, purged_at = request.now) in the same write.
  // Returns the ids deleted. One atomic write.
  virtual std::vector<OperationId> delete_operations(const std::vector<OperationId>& ids,
                                                     const PurgeRequest& request) = 0;

  // Deletes up to `limit` events that occurred before `cutoff` and belong to an
  // operation that is terminal or no longer exists; events of open operations are
  // never touched. A tombstone whose last event this deletes goes too, in the
  // same write: its id may then start a new operation, numbered from 1. Returns
  // how many events were deleted.
  virtual std::size_t delete_events_before(Timestamp cutoff, std::size_t limit) = 0;

  // The tombstone of a purged operation whose events are still kept, if `id` has one.
  virtual std::optional<PurgedOperation> find_purged(const OperationId& id) = 0;
};

}  // namespace incursa::platform
