// Notices the database file being deleted or replaced under an open store.
//
// SQLite keeps its descriptors on the inode it opened: after an `rm` or a `mv`
// over the path it goes on reading and writing the old, now nameless, file, so
// every later write would be acknowledged and then lost with it. The store checks
// the path still names the file it opened before each read and around each write
// batch, and turns a mismatch into a clear, non-retryable StoreError.
//
// Thread safety: check() may be called from many threads at once.
#pragma once

#include <sys/types.h>

#include <string>

namespace incursa::platform::sqlite {

class FileGuard {
 public:
  // Records the identity (device and inode) of the file at `path` now. An empty
  // path (an in-memory database) makes a guard whose check() never throws.
  FileGuard(std::string path, std::string display_name);

  // Throws StoreError (not retryable) when `path` no longer exists or names
  // another file than the one recorded.
  void check() const;

 private:
  std::string path_;
  std::string display_name_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace incursa::platform::sqlite
