#include "pg_test_support.hpp"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace incursa::platform::testing {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

}  // namespace

bool must_not_skip() { return env("CI") == "true"; }

std::string server_state_dir() { return env("INCURSA_PG_STATE_DIR"); }

std::optional<std::string> server_uri(std::string* why) {
  if (const std::string direct = env("INCURSA_PG_URI"); !direct.empty()) return direct;
  if (const std::string file = env("INCURSA_PG_URI_FILE"); !file.empty()) {
    if (const std::string uri = first_line(file); !uri.empty()) return uri;
  }
  const std::string dir = server_state_dir();
  if (dir.empty()) {
    if (why) *why = "neither INCURSA_PG_URI nor INCURSA_PG_STATE_DIR is set (run through ctest)";
    return std::nullopt;
  }
  if (const std::string reason = first_line(dir + "/unavailable"); !reason.empty()) {
    if (why) *why = reason;
    return std::nullopt;
  }
  const std::string uri = first_line(dir + "/uri");
  if (uri.empty()) {
    if (why)
      *why = "the test server did not start (no " + dir + "/uri; see " + dir + "/server.log)";
    return std::nullopt;
  }
  return uri;
}

std::string unique_schema(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  std::ostringstream name;
  name << prefix << "_" << ::getpid() << "_" << counter.fetch_add(1) << "_" << std::hex
       << (salt & 0xffffffU);
  return name.str();
}

std::string with_schema(const std::string& uri, const std::string& schema) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "schema=" + schema;
}

std::shared_ptr<PostgresStore> open_fresh_store(PostgresStoreOptions options,
                                                const std::string& prefix) {
  std::string why;
  const auto uri = server_uri(&why);
  if (!uri) throw std::runtime_error("no PostgreSQL test server: " + why);
  PostgresStoreOptions parsed = PostgresStore::parse_uri(*uri);
  options.conninfo = parsed.conninfo;
  options.schema = unique_schema(prefix);
  return PostgresStore::open(std::move(options));
}

RawPg::RawPg(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    throw std::runtime_error("RawPg: " + message);
  }
  exec("SET TIME ZONE 'UTC'");
}

RawPg::RawPg() : RawPg(PostgresStore::parse_uri(server_uri().value()).conninfo) {}

RawPg::~RawPg() {
  if (conn_ != nullptr) PQfinish(conn_);
}

std::vector<std::vector<std::string>> RawPg::rows(const std::string& sql,
                                                  const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const std::string message = PQresultErrorMessage(r);
    PQclear(r);
    throw std::runtime_error("RawPg: " + sql + ": " + message);
  }
  std::vector<std::vector<std::string>> out;
  for (int i = 0; i < PQntuples(r); ++i) {
    std::vector<std::string> row;
    for (int c = 0; c < PQnfields(r); ++c) {
      row.emplace_back(PQgetisnull(r, i, c) ? "NULL" : PQgetvalue(r, i, c));
    }
    out.push_back(std::move(row));
  }
  PQclear(r);
  return out;
}

std::vector<std::string> RawPg::column(const std::string& sql,
                                       const std::vector<std::string>& params) {
  std::vector<std::string> out;
  for (auto& row : rows(sql, params)) out.push_back(row.at(0));
  return out;
}

std::string RawPg::value(const std::string& sql, const std::vector<std::string>& params) {
  const auto r = rows(sql, params);
  if (r.empty() || r[0].empty()) throw std::runtime_error("RawPg: no rows from " + sql);
  return r[0][0];
}

std::int64_t RawPg::scalar(const std::string& sql, const std::vector<std::string>& params) {
  return std::stoll(value(sql, params));
}

void RawPg::exec(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  const ExecStatusType status = PQresultStatus(r);
  const std::string message = PQresultErrorMessage(r);
  PQclear(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw std::runtime_error("RawPg: " + sql + ": " + message);
  }
}

OperationSnapshot new_operation(const std::string& id, const std::string& name, Timestamp at) {
  OperationSnapshot op;
  op.id = OperationId::parse(id);
  op.name = name;
  op.status = OperationStatus::Pending;
  op.started_at = op.updated_at = op.last_progress_at = at;
  op.version = 1;
  return op;
}

TransitionRequest progress_request(const std::string& id, Timestamp at, double percent,
                                   const std::string& status_key) {
  TransitionRequest r;
  r.id = OperationId::parse(id);
  r.allowed_from = StatusSet{OperationStatus::Pending, OperationStatus::Running};
  r.at = at;
  r.changes.status = OperationStatus::Running;
  r.changes.percent = percent;
  r.changes.mark_progress = true;
  r.status_event_key = status_key;
  return r;
}

TransitionRequest event_request(const std::string& id, Timestamp at, const std::string& key) {
  TransitionRequest r;
  r.id = OperationId::parse(id);
  r.allowed_from = StatusSet{OperationStatus::Pending, OperationStatus::Running};
  r.at = at;
  NewEvent e;
  e.occurred_at = at;
  e.kind = "note";
  e.message = "event " + key;
  e.key = key;
  r.events.push_back(std::move(e));
  return r;
}

TransitionRequest complete_request(const std::string& id, Timestamp at, const std::string& key) {
  TransitionRequest r;
  r.id = OperationId::parse(id);
  r.allowed_from = StatusSet{OperationStatus::Pending, OperationStatus::Running};
  r.at = at;
  r.changes.status = OperationStatus::Succeeded;
  r.changes.mark_completed = true;
  r.status_event_key = key;
  return r;
}

int run_server_script(const std::string& command) {
  const std::string dir = server_state_dir();
  if (dir.empty()) throw std::runtime_error("INCURSA_PG_STATE_DIR is not set");
  std::vector<std::string> storage{"/bin/bash", INCURSA_PG_SERVER_SCRIPT, command, dir};
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, "/bin/bash", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

}  // namespace incursa::platform::testing
