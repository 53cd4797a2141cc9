// The import capability of a store: writing operations exactly as another store
// held them (opsctl import). A store that has it returns it from
// OperationStore::transfer() (the built-in stores all do). Export needs nothing
// beyond the required reads.
//
// Thread safety: may be called from many threads at once. Errors: StoreError only.
#pragma once

#include <span>
#include <vector>

#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform {

// One operation and its events, as restore() writes them.
struct RestoreRecord {
  OperationSnapshot operation{};
  std::vector<OperationEvent> events{};
};

class TransferStore {
 public:
  virtual ~TransferStore() = default;

  // Writes an operation and its events exactly as given -- ids, times, version,
  // sequence numbers and keys -- in one atomic write. Returns false, writing
  // nothing, if the id is taken (see taken()). The caller vouches for the data
  // (opsctl import validates it first).
  virtual bool restore(const OperationSnapshot& operation,
                       const std::vector<OperationEvent>& events) = 0;

  // restore() for many operations: each record whose id is free is written and
  // the others are skipped; the result says, in order, which were written. The
  // ids of a batch must differ. The built-in SQLite and PostgreSQL stores write
  // a batch in one transaction -- all of it, or none of it if they throw --
  // which is what lets a bulk import run at the store's speed. This default
  // restores the records one at a time.
  virtual std::vector<bool> restore_batch(std::span<const RestoreRecord> batch);

  // Which of `ids` restore() would refuse now: those the store holds as an
  // operation, and those whose events were kept after the operation was purged
  // (its tombstone, purged_operation.hpp). In the order given.
  virtual std::vector<OperationId> taken(std::span<const OperationId> ids) = 0;
};

}  // namespace incursa::platform
