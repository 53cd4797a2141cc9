#include "sqlite_test_support.hpp"

#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace incursa::platform::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/incursa-sqlite-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(path_, ec);
}

std::shared_ptr<SqliteStore> open_temp_store(SqliteStoreOptions options) {
  struct Holder {
    TempDir dir;
    std::shared_ptr<SqliteStore> store;
    ~Holder() { store.reset(); }  // close the connections before the directory goes
  };
  auto holder = std::make_shared<Holder>();
  options.path = holder->dir.file("store.db");
  holder->store = SqliteStore::open(std::move(options));
  return std::shared_ptr<SqliteStore>(holder, holder->store.get());
}

RawDb::RawDb(const std::string& path, bool read_only) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db_);
    sqlite3_close_v2(db_);
    throw std::runtime_error("cannot open " + path + ": " + message);
  }
  sqlite3_busy_timeout(db_, 10000);
}

RawDb::~RawDb() { sqlite3_close_v2(db_); }

std::vector<std::vector<std::string>> RawDb::rows(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error("prepare '" + sql + "': " + sqlite3_errmsg(db_));
  }
  std::vector<std::vector<std::string>> out;
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = sqlite3_column_text(stmt, i);
      row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "NULL");
    }
    out.push_back(std::move(row));
  }
  const std::string message = sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) throw std::runtime_error("step '" + sql + "': " + message);
  return out;
}

std::vector<std::string> RawDb::column(const std::string& sql) {
  std::vector<std::string> out;
  for (auto& row : rows(sql)) out.push_back(row.empty() ? "" : row[0]);
  return out;
}

std::int64_t RawDb::scalar(const std::string& sql) {
  const auto values = column(sql);
  if (values.empty()) throw std::runtime_error("no row from '" + sql + "'");
  return std::stoll(values[0]);
}

void RawDb::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : "?";
    sqlite3_free(error);
    throw std::runtime_error("exec '" + sql + "': " + message);
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace incursa::platform::testing
