// The import capability of a store: writing operations exactly as another store
// held them (opsctl import). A store that has it returns it from
// OperationStore::transfer() (the built-in stores all do). Export needs nothing
// beyond the required reads.
//
// Thread safety: may be called from many threads at once. Errors: StoreError only.
#pragma once

#include <vector>

#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform {

class TransferStore {
 public:
  virtual ~TransferStore() = default;

  // Writes an operation and its events exactly as given -- ids, times, version,
  // sequence numbers and keys -- in one atomic write. Returns false, writing
  // nothing, if the id exists or has a tombstone (purged_operation.hpp). The
  // caller vouches for the data (opsctl import validates it first).
  virtual bool restore(const OperationSnapshot& operation,
                       const std::vector<OperationEvent>& events) = 0;
};

}  // namespace incursa::platform
