#include "pg_connection.hpp"

#include <poll.h>

#include <array>
#include <cctype>

namespace incursa::platform::postgres {

namespace {

// Failures to connect carry no SQLSTATE in libpq, only text. These say that
// trying again cannot help; anything else (refused, timed out, "starting up",
// "shutting down", "too many clients") is worth another try.
constexpr std::array<std::string_view, 8> kPermanentConnectErrors{
    "authentication failed", "no pg_hba.conf entry",    "does not exist",
    "permission denied",     "not permitted",           "invalid",
    "unsupported",           "server does not support",
};

bool contains_any(std::string_view text, const auto& needles) {
  for (std::string_view needle : needles) {
    if (text.find(needle) != std::string_view::npos) return true;
  }
  return false;
}

void ignore_notice(void*, const char*) {}

}  // namespace

bool is_retryable_sqlstate(std::string_view s) noexcept {
  return s.starts_with("08") || s == "40001" || s == "40P01" || s == "57P01" || s == "57P02" ||
         s == "57P03";
}

bool proves_rollback(std::string_view s) noexcept { return s == "40001" || s == "40P01"; }

std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::unique_ptr<Connection> Connection::open(const ConnectionSettings& settings) {
  // Our defaults come before the caller's string, so the caller's values win
  // (PQconnectdbParams: later entries override earlier ones, and the expanded
  // dbname entry counts as coming at its position).
  const std::string timeout = std::to_string(settings.connect_timeout.count());
  const std::array<const char*, 4> keys{"connect_timeout", "fallback_application_name", "dbname",
                                        nullptr};
  const std::array<const char*, 4> values{timeout.c_str(), "incursa-platform",
                                          settings.conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn == nullptr) throw PgError({"out of memory allocating a connection", "", true, false});
  if (PQstatus(conn) != CONNECTION_OK) {
    PgFailure failure;
    failure.message = one_line(PQerrorMessage(conn));
    failure.retryable = !contains_any(failure.message, kPermanentConnectErrors);
    PQfinish(conn);
    throw PgError(std::move(failure));
  }
  // The server's NOTICEs ("schema exists, skipping", a FATAL arriving while idle)
  // would otherwise go to stderr.
  PQsetNoticeProcessor(conn, &ignore_notice, nullptr);
  std::unique_ptr<Connection> connection(new Connection(conn));
  // Text formats the row mapping relies on, whatever the server's defaults are:
  // timestamps as "YYYY-MM-DD HH:MM:SS[.ffffff]+00", floats printed exactly.
  try {
    connection->run_script(
        "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
        " SET extra_float_digits = 1; SET client_encoding = 'UTF8'; SET statement_timeout = " +
        std::to_string(settings.statement_timeout.count()));
  } catch (const PgError& e) {
    PgFailure failure = e.failure();
    failure.maybe_applied = false;  // the caller's statement was never sent
    throw PgError(std::move(failure));
  }
  return connection;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::usable() {
  if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) != PQTRANS_IDLE) return false;
  // Nothing arrives on an idle connection unless the server is closing it: one
  // poll() answers the common case, instead of two reads that find nothing.
  pollfd socket{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
  if (socket.fd >= 0 && ::poll(&socket, 1, 0) == 0) return true;
  // A server that shut down sent a FATAL message and closed the socket. The first
  // read takes the message (routed to the notice processor by PQisBusy), the
  // second sees the end of the stream and marks the connection bad.
  for (int i = 0; i < 2; ++i) {
    if (PQconsumeInput(conn_) == 0) return false;
    (void)PQisBusy(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return false;
  }
  return true;
}

bool Connection::reusable() const noexcept {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE &&
         PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

PgFailure Connection::lost(bool sent) const {
  PgFailure f;
  f.message = one_line(PQerrorMessage(conn_));
  if (f.message.empty()) f.message = "connection to the server lost";
  f.retryable = true;
  f.maybe_applied = sent;
  return f;
}

PgFailure Connection::failure_of(const PGresult* result, bool sent) const {
  PgFailure f;
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  f.sqlstate = state != nullptr ? state : "";
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  f.message = one_line(primary != nullptr ? primary : PQresultErrorMessage(result));
  if (f.message.empty()) f.message = one_line(PQerrorMessage(conn_));
  const bool connection_gone = PQstatus(conn_) != CONNECTION_OK;
  if (connection_gone || f.sqlstate.empty() || is_retryable_sqlstate(f.sqlstate)) {
    // An error the server reported while the session lives on means the
    // statement failed and was rolled back. A dead connection, or a shutdown
    // message, leaves open whether the commit happened first.
    f.retryable = connection_gone || is_retryable_sqlstate(f.sqlstate);
    f.maybe_applied = sent && (connection_gone || !proves_rollback(f.sqlstate)) && f.retryable;
  }
  return f;
}

Result Connection::collect(bool sent) {
  Result first;
  std::optional<PgFailure> failure;
  while (PGresult* raw = PQgetResult(conn_)) {
    Result result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      if (!first) first = std::move(result);
    } else if (!failure) {
      failure = failure_of(raw, sent);
    }
    if (PQstatus(conn_) != CONNECTION_OK) break;
  }
  if (failure) throw PgError(std::move(*failure));
  if (PQstatus(conn_) != CONNECTION_OK || !first) throw PgError(lost(sent));
  return first;
}

void Connection::prepare(const Statement& statement) {
  if (prepared_.contains(statement.name)) return;
  if (PQsendPrepare(conn_, statement.name.c_str(), statement.sql.c_str(), 0, nullptr) == 0) {
    throw PgError(lost(false));
  }
  (void)collect(false);  // preparing writes nothing, so a failure here is never ambiguous
  prepared_.insert(statement.name);
}

bool Connection::send_prepared(const Statement& statement, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return PQsendQueryPrepared(conn_, statement.name.c_str(), static_cast<int>(values.size()),
                             values.data(), nullptr, nullptr, 0) != 0;
}

Result Connection::run(const Statement& statement, const Params& params) {
  prepare(statement);
  if (!send_prepared(statement, params)) throw PgError(lost(false));
  return collect(true);
}

Result Connection::run(const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0) == 0) {
    throw PgError(lost(false));
  }
  return collect(true);
}

void Connection::run_script(const std::string& sql) {
  if (PQsendQuery(conn_, sql.c_str()) == 0) throw PgError(lost(false));
  (void)collect(true);
}

}  // namespace incursa::platform::postgres
