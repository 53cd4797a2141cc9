// One SQLite connection, its prepared-statement cache, and the translation of
// SQLite result codes into StoreError.
//
// Thread safety: a Connection is used by one thread at a time. Connections are
// opened with SQLITE_OPEN_NOMUTEX; the store provides the locking (a mutex around
// the writer, exclusive leases from the reader pool).
// Errors: every failure is a StoreError naming the file; SQLITE_BUSY and
// SQLITE_LOCKED are retryable, everything else is not.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace incursa::platform::sqlite {

class Connection;

// Whether a SQLite result code means "try again later".
bool is_retryable(int result_code) noexcept;

// A cached prepared statement checked out for one use. Binding is 1-based, as in
// SQLite. The destructor resets the statement and clears its bindings, so a
// statement never holds a read transaction open past its scope.
class Statement {
 public:
  // `owned`: finalize on destruction instead of returning to the cache.
  Statement(Connection& connection, sqlite3_stmt* stmt, bool owned = false) noexcept
      : connection_(&connection), stmt_(stmt), owned_(owned) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    if (value) return bind(index, *value);
    return bind_null(index);
  }

  // Advances one row: true when a row is available, false when done.
  bool step();
  // Runs a statement that returns no rows (or whose rows are ignored).
  void run();

  bool is_null(int column) const noexcept;
  std::int64_t column_int(int column) const noexcept;
  double column_double(int column) const noexcept;
  std::string column_text(int column) const;
  std::optional<std::int64_t> column_opt_int(int column) const noexcept;
  std::optional<double> column_opt_double(int column) const noexcept;
  std::optional<std::string> column_opt_text(int column) const;

  sqlite3_stmt* handle() const noexcept { return stmt_; }

 private:
  Connection* connection_;
  sqlite3_stmt* stmt_;
  bool owned_;
};

struct ConnectionOptions {
  std::string filename;       // what sqlite3_open_v2 is given (a path or a file: URI)
  std::string display_name;   // what error messages call the database
  int open_flags = 0;         // SQLITE_OPEN_* (NOMUTEX is always added)
  const char* vfs = nullptr;  // a registered VFS's name; null: SQLite's default
  std::chrono::milliseconds busy_timeout{10000};
};

class Connection {
 public:
  // Opens the database. Throws StoreError (with a hint when the directory is
  // missing) if SQLite cannot open it.
  static std::unique_ptr<Connection> open(const ConnectionOptions& options);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A cached prepared statement for `sql`, prepared on first use. The statement
  // must not be checked out twice at once (each call site uses one at a time).
  // Past kMaxCachedStatements distinct texts (queries built from many filter
  // shapes), new texts are prepared for one use only, so the cache stays bounded.
  Statement prepare(std::string_view sql);
  static constexpr std::size_t kMaxCachedStatements = 256;

  // Runs one or more statements without caching (PRAGMAs, BEGIN/COMMIT, DDL).
  // `action` names the step in an error message (default: the SQL itself).
  void exec(const char* sql, std::string_view action = {});

  // Runs a PRAGMA (or any statement) returning a single text value.
  std::string query_text(const char* sql);

  // Throws StoreError for result code `rc`, naming the database and `action`.
  [[noreturn]] void fail(int rc, std::string_view action) const;

  bool read_only() const noexcept;
  bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }
  std::int64_t changes() const noexcept { return sqlite3_changes64(db_); }
  const std::string& display_name() const noexcept { return display_name_; }
  sqlite3* handle() const noexcept { return db_; }

 private:
  Connection(sqlite3* db, std::string display_name) noexcept
      : db_(db), display_name_(std::move(display_name)) {}

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  sqlite3* db_;
  std::string display_name_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> statements_;
};

// "sqlite store '<name>': <action>: <message>" as a StoreError.
[[noreturn]] void throw_store_error(std::string_view display_name, std::string_view action,
                                    std::string_view detail, bool retryable);

}  // namespace incursa::platform::sqlite
