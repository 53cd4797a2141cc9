#include "sqlite_connection.hpp"

#include <filesystem>
#include <limits>
#include <string>
#include <system_error>

#include "incursa/platform/error.hpp"

namespace incursa::platform::sqlite {

bool is_retryable(int result_code) noexcept {
  const int primary = result_code & 0xFF;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

void throw_store_error(std::string_view display_name, std::string_view action,
                       std::string_view detail, bool retryable) {
  std::string message = "sqlite store '";
  message.append(display_name);
  message.append("': ");
  message.append(action);
  if (!detail.empty()) {
    message.append(": ");
    message.append(detail);
  }
  throw StoreError(message, retryable);
}

namespace {

// A hint for the errors users actually hit, so the message says what to fix.
std::string describe(int rc, std::string_view sqlite_message) {
  std::string text(sqlite_message);
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      text += " (another connection holds the lock; the busy timeout expired)";
      break;
    case SQLITE_NOTADB:
      text += " (the file is not a SQLite database, or it is encrypted or damaged)";
      break;
    case SQLITE_CORRUPT:
      text += " (the database file is damaged)";
      break;
    case SQLITE_READONLY:
      text += " (the file, its directory, or its -wal/-shm files are not writable)";
      break;
    case SQLITE_FULL:
      text += " (the disk is full)";
      break;
    default:
      break;
  }
  text += " [";
  text += sqlite3_errstr(rc);
  text += ", code ";
  text += std::to_string(rc);
  text += "]";
  return text;
}

std::string cantopen_hint(const std::string& filename) {
  std::error_code ec;
  const std::filesystem::path path(filename);
  const std::filesystem::path parent = path.has_parent_path() ? path.parent_path() : ".";
  if (!std::filesystem::exists(parent, ec)) {
    return " (the directory '" + parent.string() + "' does not exist)";
  }
  if (!std::filesystem::is_directory(parent, ec)) {
    return " ('" + parent.string() + "' is not a directory)";
  }
  if (std::filesystem::is_directory(path, ec)) return " (the path is a directory)";
  return " (check that the path and its directory are accessible)";
}

}  // namespace

// ---- Statement --------------------------------------------------------------

Statement::~Statement() {
  if (owned_) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) connection_->fail(rc, "binding a parameter");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) connection_->fail(rc, "binding a parameter");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) connection_->fail(rc, "binding a parameter");
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) connection_->fail(rc, "binding a parameter");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string sql = sqlite3_sql(stmt_) != nullptr ? sqlite3_sql(stmt_) : "";
  if (sql.size() > 60) sql = sql.substr(0, 57) + "...";
  connection_->fail(rc, "executing '" + sql + "'");
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const noexcept {
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::int64_t> Statement::column_opt_int(int column) const noexcept {
  if (is_null(column)) return std::nullopt;
  return column_int(column);
}

std::optional<double> Statement::column_opt_double(int column) const noexcept {
  if (is_null(column)) return std::nullopt;
  return column_double(column);
}

std::optional<std::string> Statement::column_opt_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_text(column);
}

// ---- Connection -------------------------------------------------------------

std::unique_ptr<Connection> Connection::open(const ConnectionOptions& options) {
  if (sqlite3_threadsafe() == 0) {
    // NOMUTEX connections on different threads need SQLite's own locks (mode 1 or 2).
    throw_store_error(options.display_name, "cannot open the database",
                      "the SQLite library was built without thread support", false);
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(options.filename.c_str(), &db,
                                 options.open_flags | SQLITE_OPEN_NOMUTEX, options.vfs);
  if (rc != SQLITE_OK) {
    std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    if ((rc & 0xFF) == SQLITE_CANTOPEN) detail += cantopen_hint(options.filename);
    throw_store_error(options.display_name, "cannot open the database", describe(rc, detail),
                      is_retryable(rc));
  }
  std::unique_ptr<Connection> connection(new Connection(db, options.display_name));
  sqlite3_extended_result_codes(db, 1);
  const auto ms = options.busy_timeout.count();
  sqlite3_busy_timeout(db, static_cast<int>(std::min<std::int64_t>(
                               std::max<std::int64_t>(ms, 0), std::numeric_limits<int>::max())));
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Statement Connection::prepare(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    return Statement(*this, it->second);
  }
  const bool cache = statements_.size() < kMaxCachedStatements;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    std::string text(sql.substr(0, 60));
    if (sql.size() > 60) text += "...";
    fail(rc, "preparing '" + text + "'");
  }
  if (!cache) return Statement(*this, stmt, true);
  statements_.emplace(std::string(sql), stmt);
  return Statement(*this, stmt);
}

void Connection::exec(const char* sql, std::string_view action) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const std::string detail = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw_store_error(display_name_,
                      action.empty() ? std::string("executing '") + sql + "'" : std::string(action),
                      describe(rc, detail), is_retryable(rc));
  }
}

std::string Connection::query_text(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    fail(rc, std::string("preparing '") + sql + "'");
  }
  std::string value;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    if (const auto* text = sqlite3_column_text(stmt, 0))
      value = reinterpret_cast<const char*>(text);
    rc = sqlite3_step(stmt);
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    const std::string detail = describe(rc, sqlite3_errmsg(db_));
    sqlite3_finalize(stmt);
    throw_store_error(display_name_, std::string("executing '") + sql + "'", detail,
                      is_retryable(rc));
  }
  sqlite3_finalize(stmt);
  return value;
}

void Connection::fail(int rc, std::string_view action) const {
  throw_store_error(display_name_, action, describe(rc, sqlite3_errmsg(db_)), is_retryable(rc));
}

bool Connection::read_only() const noexcept { return sqlite3_db_readonly(db_, "main") == 1; }

}  // namespace incursa::platform::sqlite
