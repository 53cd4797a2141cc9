// Helpers for the SQLite tests: temporary directories, fresh stores on real files,
// raw SQLite access for checks the store's API does not offer, and (from
// tests/support) child processes driven over pipes.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "incursa/platform/stores/sqlite_store.hpp"

namespace incursa::platform::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A SqliteStore on a new file in its own temporary directory; the directory goes
// away when the last reference to the store does.
std::shared_ptr<SqliteStore> open_temp_store(SqliteStoreOptions options = {});

// A raw connection for checks (PRAGMAs, EXPLAIN QUERY PLAN, counting rows).
class RawDb {
 public:
  explicit RawDb(const std::string& path, bool read_only = true);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Every row of the first column as text (NULL as "NULL").
  std::vector<std::string> column(const std::string& sql);
  // The first row's first column as an integer.
  std::int64_t scalar(const std::string& sql);
  // Every row, each column as text.
  std::vector<std::vector<std::string>> rows(const std::string& sql);
  void exec(const std::string& sql);
  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// The whole file as bytes ("" if missing).
std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);

}  // namespace incursa::platform::testing
