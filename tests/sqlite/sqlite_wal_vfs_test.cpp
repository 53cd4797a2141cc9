// The WAL-gathering VFS (src/stores/sqlite/sqlite_wal_vfs.hpp): a commit reaches
// the OS in a few writes instead of two per page, and every connection still
// reads exactly what was committed.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "sqlite_test_support.hpp"
#include "sqlite_wal_vfs.hpp"

namespace incursa::platform::testing {
namespace {

// The process's write system calls so far (write, pwrite and the like), from
// /proc/self/io; none where the kernel does not keep I/O accounting.
std::optional<std::int64_t> write_syscalls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::int64_t value = 0;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  return std::nullopt;
}

class Db {
 public:
  Db(const std::string& filename, const char* vfs, int extra_flags = 0) {
    const int rc = sqlite3_open_v2(filename.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | extra_flags, vfs);
    if (rc != SQLITE_OK) ADD_FAILURE() << "open " << filename << ": " << sqlite3_errmsg(db_);
  }
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error ? error : "?");
    }
    sqlite3_free(error);
  }
  std::int64_t scalar(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::int64_t value = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      value = sqlite3_column_int64(st, 0);
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_finalize(st);
    return value;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

// One transaction that dirties ~110 pages: 200 rows of 1 KiB, each in the table
// and in its index.
constexpr const char* kBigInsert =
    "BEGIN IMMEDIATE;"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)"
    " INSERT INTO t (v) SELECT randomblob(1024) FROM n;"
    "COMMIT;";

// Write system calls made by committing kBigInsert on a fresh WAL database
// opened through `vfs`.
std::int64_t writes_per_commit(const std::string& filename, const char* vfs, int flags = 0) {
  Db db(filename, vfs, flags);
  db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB); CREATE INDEX t_v ON t (v);");
  const auto before = write_syscalls();
  db.exec(kBigInsert);
  const auto after = write_syscalls();
  EXPECT_EQ(db.scalar("SELECT count(*) FROM t"), 200);
  return before && after ? *after - *before : -1;
}

TEST(SqliteWalGatheringVfs, ACommitReachesTheOsInAFewWritesNotTwoPerPage) {
  if (!write_syscalls()) GTEST_SKIP() << "no /proc/self/io on this kernel";
  TempDir dir;
  const std::int64_t plain = writes_per_commit(dir.file("plain.db"), nullptr);
  const std::int64_t gathered =
      writes_per_commit(dir.file("gathered.db"), sqlite::wal_gathering_vfs());
  // Two writes per frame (its header, its page) without; with, the ~450 KiB of
  // frames in chunks of at most 124 KiB, and the new WAL's header.
  EXPECT_GT(plain, 200);
  EXPECT_LE(gathered, plain / 10);
}

TEST(SqliteWalGatheringVfs, WithoutPowersafeOverwriteWritesGoStraightThrough) {
  // psow=0: SQLite pads each commit to a sector and writes the padding's tail
  // after its sync, so nothing may wait in a buffer.
  if (!write_syscalls()) GTEST_SKIP() << "no /proc/self/io on this kernel";
  TempDir dir;
  const std::int64_t writes = writes_per_commit("file:" + dir.file("psow.db") + "?psow=0",
                                                sqlite::wal_gathering_vfs(), SQLITE_OPEN_URI);
  EXPECT_GT(writes, 200);
}

TEST(SqliteWalGatheringVfs, OtherConnectionsReadEveryCommitAndTheFileKeepsIt) {
  TempDir dir;
  const std::string path = dir.file("shared.db");
  {
    Db writer(path, sqlite::wal_gathering_vfs());
    // A small page cache makes the big transaction spill frames to the WAL before
    // it commits, and read some of them back.
    writer.exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = 8;"
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB); CREATE INDEX t_v ON t (v);");
    Db reader(path, nullptr);
    for (int round = 1; round <= 3; ++round) {
      writer.exec(kBigInsert);
      EXPECT_EQ(reader.scalar("SELECT count(*) FROM t"), 200 * round);
      EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
    }
    // ~6 MiB of frames in one transaction: more than the buffer ever holds.
    writer.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
        " INSERT INTO t (v) SELECT randomblob(1024) FROM n;");
    EXPECT_EQ(reader.scalar("SELECT count(*) FROM t"), 3600);
    EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
  }
  Db reopened(path, nullptr);
  EXPECT_EQ(reopened.scalar("SELECT count(*) FROM t"), 3600);
  EXPECT_EQ(reopened.text("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace incursa::platform::testing
