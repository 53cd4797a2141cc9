// /healthz, /metrics, and what a failing store looks like to a client (503).
#ifdef OPSD_TEST_SQLITE
#include <sqlite3.h>
#endif

#include <sys/wait.h>

#include <thread>

#include "api_helpers.hpp"

namespace opsd_test {
namespace {

TEST(System, HealthzNeedsNoTokenAndNamesTheStore) {
  OpsdProcess opsd;
  const Reply r = get(*opsd.client(""), "/healthz");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ok");
  EXPECT_EQ(r.body["store"], "memory");
}

TEST(System, MetricsArePrometheusTextCountingApiWrites) {
  OpsdProcess opsd;
  auto c = opsd.client();
  const json op = start(*c, {{"name", "Metrics.Job"}});
  post(*c, "/v1/operations/" + op["id"].get<std::string>() + "/events", {{"kind", "step"}});
  post(*c, "/v1/operations/" + op["id"].get<std::string>() + "/complete",
       {{"status", "Succeeded"}});
  const auto r = opsd.client(kReadToken)->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("incursa_platform_operations_started_total 1"), std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find(R"(incursa_platform_operations_event_added_total{kind="step"} 1)"),
            std::string::npos);
  EXPECT_NE(r->body.find(R"(incursa_platform_operations_completed_total{status="Succeeded"} 1)"),
            std::string::npos);
  EXPECT_NE(r->body.find("opsd_streams_open 0"), std::string::npos);
  // Every write also recorded its audit event (the observed tracker).
  const Reply timeline = get(*c, "/v1/operations/" + op["id"].get<std::string>() + "/timeline");
  int audits = 0;
  for (const json& e : timeline.body["entries"]) audits += e["source"] == "audit";
  EXPECT_EQ(audits, 2);  // operation.started, operation.completed
}

// Another connection holds SQLite's write lock: opsd's writes time out on it and
// say so with 503 and Retry-After; reads (WAL) and health keep working.
#ifdef OPSD_TEST_SQLITE
TEST(System, AStoreThatCannotWriteIs503) {
  const auto dir = temp_dir("opsd-busy");
  const std::string path = (dir / "ops.db").string();
  OpsdProcess opsd(OpsdConfig().with_store("sqlite:" + path + "?busy_timeout_ms=50"));
  auto c = opsd.client();
  const json op = start(*c, {{"name", "Busy.Job"}});

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const Reply refused = post(*c, "/v1/operations", {{"name", "Busy.Second"}});
  EXPECT_EQ(refused.status, 503) << refused.text;
  EXPECT_EQ(refused.error_code(), "unavailable");
  EXPECT_EQ(refused.body["error"]["retryable"], true);
  EXPECT_EQ(refused.header("Retry-After"), "1");
  EXPECT_EQ(get(*c, "/v1/operations/" + op["id"].get<std::string>()).status, 200);
  EXPECT_EQ(get(*c, "/healthz").status, 200);

  ASSERT_EQ(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(post(*c, "/v1/operations", {{"name", "Busy.Second"}}).status, 201);
  std::filesystem::remove_all(dir);
}
#endif

TEST(System, StopsCleanlyOnSigtermWithAStreamOpen) {
  // Idle keep-alive connections are waited out on shutdown; keep that short.
  OpsdProcess opsd(OpsdConfig().with_args({"--keep-alive-timeout", "1s"}));
  auto c = opsd.client(kReadToken);
  // An open stream holds a worker and never ends by itself; SIGTERM must still end
  // opsd, cleanly. stop() waits for the exit, so a shutdown that waited for the
  // stream would hang here and fail on the test's CTest timeout (no timed
  // assertion: how fast is the benchmarks' business).
  std::thread streamer([&] { c->Get("/v1/stream", [](const char*, size_t) { return true; }); });
  const Reply health = get(*opsd.client(""), "/healthz");
  ASSERT_EQ(health.status, 200);
  const int status = opsd.stop();
  streamer.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(System, StartUpErrorsExitNonZero) {
  EXPECT_EQ(run_opsd({"--store", "nosuch:store", "--listen", "127.0.0.1:0"}, {}).exit_code, 1);
  EXPECT_EQ(run_opsd({"--listen", "nonsense"}, {}).exit_code, 2);
  EXPECT_NE(run_opsd({"--no-such-flag"}, {}).exit_code, 0);
  const RunResult help = run_opsd({"--help"}, {});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--store"), std::string::npos);
}

}  // namespace
}  // namespace opsd_test
