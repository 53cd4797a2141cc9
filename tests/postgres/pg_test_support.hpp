// Helpers for the PostgreSQL tests: the fixture's server, fresh schemas, raw SQL
// for checks the store's API does not offer, and child processes over pipes.
//
// The server: CTest's postgres.server.start writes its URI to
// $INCURSA_PG_STATE_DIR/uri; INCURSA_PG_URI (or a file named by INCURSA_PG_URI_FILE)
// names another server instead. When PostgreSQL is not installed the start script
// writes .../unavailable and the tests skip with a loud message -- except under
// CI=true, where they fail.
#pragma once

#include <libpq-fe.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "incursa/platform/stores/postgres_store.hpp"

namespace incursa::platform::testing {

// The server's URI, or nullopt with `why` filled in.
std::optional<std::string> server_uri(std::string* why = nullptr);

// The fixture's state directory ($INCURSA_PG_STATE_DIR), or "" if not run by CTest.
std::string server_state_dir();

// In a test body or SetUp: skips (loudly) or fails (CI=true) without a server.
#define INCURSA_REQUIRE_PG_SERVER()                                                              \
  do {                                                                                           \
    std::string incursa_why;                                                                     \
    if (!::incursa::platform::testing::server_uri(&incursa_why)) {                               \
      if (::incursa::platform::testing::must_not_skip()) {                                       \
        FAIL() << "CI=true and no PostgreSQL test server: " << incursa_why;                      \
      }                                                                                          \
      GTEST_SKIP() << "\n#### NO POSTGRESQL SERVER -- TEST SKIPPED: " << incursa_why << " ####"; \
    }                                                                                            \
  } while (false)

bool must_not_skip();  // CI=true

// A new schema name, unique across processes and runs: "<prefix>_<pid>_<n>_<rand>".
std::string unique_schema(const std::string& prefix);

// `uri` with "schema=<schema>" added to its query.
std::string with_schema(const std::string& uri, const std::string& schema);

// A store on a fresh schema of the test server. Throws if there is no server.
std::shared_ptr<PostgresStore> open_fresh_store(PostgresStoreOptions options = {},
                                                const std::string& prefix = "t");

// A raw libpq connection for checks (row counts, EXPLAIN, killing backends).
class RawPg {
 public:
  explicit RawPg(const std::string& conninfo);
  RawPg();  // the test server
  ~RawPg();
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;

  // Every row, each column as text ("NULL" for NULL). Throws std::runtime_error.
  std::vector<std::vector<std::string>> rows(const std::string& sql,
                                             const std::vector<std::string>& params = {});
  // The first column of every row.
  std::vector<std::string> column(const std::string& sql,
                                  const std::vector<std::string>& params = {});
  // The first row's first column.
  std::string value(const std::string& sql, const std::vector<std::string>& params = {});
  std::int64_t scalar(const std::string& sql, const std::vector<std::string>& params = {});
  void exec(const std::string& sql);

 private:
  PGconn* conn_ = nullptr;
};

// Store calls made by hand, with caller-chosen ids and event keys, so that a
// test can repeat a call exactly (the Tracker makes a fresh key per call).
// A new Pending operation `id` (version 1) and its created event keyed `key`.
OperationSnapshot new_operation(const std::string& id, const std::string& name, Timestamp at);
// Pending|Running -> Running with `percent`; a status event keyed `status_key`
// when it starts the operation.
TransitionRequest progress_request(const std::string& id, Timestamp at, double percent,
                                   const std::string& status_key);
// Appends one "note" event keyed `key` (Pending or Running).
TransitionRequest event_request(const std::string& id, Timestamp at, const std::string& key);
// Pending|Running -> Succeeded, the status event keyed `key`.
TransitionRequest complete_request(const std::string& id, Timestamp at, const std::string& key);

// Runs the fixture script (`restart`, `halt`, `resume`, …) on the fixture's
// server; returns its exit code.
int run_server_script(const std::string& command);

std::vector<std::string> split(const std::string& text, char separator);

}  // namespace incursa::platform::testing
