// The backup capability of a store that is a file: a consistent copy while it
// is in use. The SQLite store returns it from OperationStore::backup(); a
// database server has its own tools.
//
// Thread safety: may be called while other threads write. Errors: StoreError
// (ValidationError for an empty path).
#pragma once

#include <string>

namespace incursa::platform {

class BackupStore {
 public:
  virtual ~BackupStore() = default;

  // Writes a consistent copy of the store to a new file at `path`; never
  // overwrites an existing file.
  virtual void backup_to(const std::string& path) = 0;
};

}  // namespace incursa::platform
