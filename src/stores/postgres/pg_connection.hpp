// One libpq connection, its lazily prepared statements, and the classification
// of what went wrong when a call fails.
//
// Thread safety: a Connection is used by one thread at a time (the pool hands it
// out exclusively). Errors: PgError only; the store turns it into a StoreError
// after deciding whether to retry.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace incursa::platform::postgres {

// A failed call, before the retry decision.
struct PgFailure {
  std::string message;   // the server's (or libpq's) message, on one line
  std::string sqlstate;  // empty when there was no server error (connection lost, refused)
  bool retryable = false;
  // The statement reached the server and we cannot tell whether it committed
  // (the connection died before the reply). A write is then repeated only if
  // repeating it cannot apply it twice.
  bool maybe_applied = false;
  // The call already waited its full time (for a pooled connection): repeating
  // it would only multiply the wait.
  bool waited = false;
};

class PgError : public std::exception {
 public:
  explicit PgError(PgFailure failure) : failure_(std::move(failure)) {}
  const PgFailure& failure() const noexcept { return failure_; }
  const char* what() const noexcept override { return failure_.message.c_str(); }

 private:
  PgFailure failure_;
};

// SQLSTATEs worth repeating: connection exceptions (class 08), serialization
// failure, deadlock, and the server shutting down, crashing or starting up.
bool is_retryable_sqlstate(std::string_view sqlstate) noexcept;
// Of those, the ones that prove the server rolled the statement back.
bool proves_rollback(std::string_view sqlstate) noexcept;

// libpq's multi-line messages on one line, trimmed.
std::string one_line(std::string_view message);

// Owns a PGresult.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* result) : result_(result, &PQclear) {}

  int rows() const noexcept { return result_ ? PQntuples(result_.get()) : 0; }
  bool null(int row, int column) const noexcept {
    return PQgetisnull(result_.get(), row, column) != 0;
  }
  std::string_view text(int row, int column) const noexcept {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  std::optional<std::string> optional_text(int row, int column) const {
    if (null(row, column)) return std::nullopt;
    return std::string(text(row, column));
  }
  // Rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const noexcept {
    return result_ ? std::atoll(PQcmdTuples(result_.get())) : 0;
  }
  explicit operator bool() const noexcept { return static_cast<bool>(result_); }
  const PGresult* get() const noexcept { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_{nullptr, &PQclear};
};

// A statement with a stable name, prepared on each connection the first time it
// runs there.
struct Statement {
  std::string name;
  std::string sql;
};

// Text-format parameters; nullopt is SQL NULL.
using Params = std::vector<std::optional<std::string>>;

struct ConnectionSettings {
  std::string conninfo;
  std::chrono::milliseconds statement_timeout{30000};
  std::chrono::seconds connect_timeout{10};
};

class Connection {
 public:
  // Connects and sets the session up (UTC, ISO dates, exact floats, UTF-8,
  // statement_timeout). Throws PgError (never maybe_applied).
  static std::unique_ptr<Connection> open(const ConnectionSettings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs a prepared statement, preparing it here first if needed. Throws PgError.
  Result run(const Statement& statement, const Params& params);
  // Prepares `statement` here unless it already is (one round trip the first
  // time). Outside pipeline mode only. Throws PgError (never maybe_applied).
  void prepare(const Statement& statement);
  // Queues an execution of a statement prepare() has prepared, for pipeline mode:
  // returns false if libpq could not queue it (the connection is broken).
  bool send_prepared(const Statement& statement, const Params& params);
  // Runs SQL with parameters, unprepared (one-off statements: migrations, tests).
  Result run(const std::string& sql, const Params& params = {});
  // Runs one or more ;-separated statements without parameters.
  void run_script(const std::string& sql);

  // True if the connection can take a call: open, outside a transaction, and the
  // server has not closed it while it sat idle (a non-blocking read finds out).
  bool usable();
  // True if it is fit to go back to the pool after a call (open, idle, out of
  // pipeline mode).
  bool reusable() const noexcept;

  PGconn* handle() const noexcept { return conn_; }

  // The failure a server error result stands for; `sent`: the request reached
  // the server (so a lost connection leaves its outcome open).
  PgFailure failure_of(const PGresult* result, bool sent) const;
  // The failure of a connection that broke.
  PgFailure lost(bool sent) const;

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Result collect(bool sent);

  PGconn* conn_;
  std::unordered_set<std::string> prepared_;
};

}  // namespace incursa::platform::postgres
