#include "sqlite_file_guard.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "sqlite_connection.hpp"

namespace incursa::platform::sqlite {

FileGuard::FileGuard(std::string path, std::string display_name)
    : path_(std::move(path)), display_name_(std::move(display_name)) {
  if (path_.empty()) return;
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    throw_store_error(display_name_, "cannot open the database", std::strerror(errno), false);
  }
  device_ = info.st_dev;
  inode_ = info.st_ino;
}

void FileGuard::check() const {
  if (path_.empty()) return;
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT) {
      throw_store_error(display_name_, "the database file was deleted while the store had it open",
                        "nothing more is written to it; restore the file or open the store again",
                        false);
    }
    throw_store_error(display_name_, "cannot check the database file", std::strerror(error), false);
  }
  if (info.st_dev != device_ || info.st_ino != inode_) {
    throw_store_error(
        display_name_, "the database file was replaced by another file while the store had it open",
        "nothing is written to either; open the store again to use the new file", false);
  }
}

}  // namespace incursa::platform::sqlite
