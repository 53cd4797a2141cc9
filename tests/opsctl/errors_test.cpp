// Exit codes (0 ok, 1 not found, 2 bad usage or input, 3 store error), one-line
// errors, and --help for every subcommand.
#include <map>

#include "opsctl_fixture.hpp"

namespace incursa::platform::opsctl::testing {
namespace {

TEST_F(OpsctlTest, BadDurationIsBadInput) {
  expect_one_line_error(run({"stalled", "--threshold", "soon"}), 2,
                        "--threshold 'soon': must be a duration like");
  expect_one_line_error(run({"purge", "--keep", "30 days"}), 2, "--keep '30 days'");
  expect_one_line_error(run({"watch", "--interval", "5x"}), 2, "--interval '5x'");
  expect_one_line_error(run({"demo", "--duration", "0s"}), 2, "--duration '0s'");
  expect_one_line_error(run({"list", "--started-after", "yesterday"}), 2,
                        "--started-after 'yesterday'");
}

TEST_F(OpsctlTest, UnknownStatusIsBadInput) {
  expect_one_line_error(run({"list", "--status", "Runing"}), 2,
                        "--status 'Runing': must be one of Pending, Running");
  expect_one_line_error(run({"count", "--status", "Running,Done"}), 2, "--status 'Done'");
  expect_one_line_error(run({"complete", "import-1", "--status", "Finished"}), 2,
                        "--status 'Finished'");
  expect_one_line_error(run({"complete", "import-1", "--status", "Running"}), 2,
                        "must be Succeeded, Failed or Canceled");
}

TEST_F(OpsctlTest, UnreachableStoreIsAStoreError) {
  const RunResult r = run_on("sqlite:/nonexistent-dir/x.db", {"list"});
  expect_one_line_error(r, 3, "/nonexistent-dir");
  // A missing file is not created by a read.
  const std::string missing = dir_.file("missing.db");
  expect_one_line_error(run_on(sqlite_uri(missing), {"count"}), 3, "does not exist");
  EXPECT_FALSE(std::filesystem::exists(missing));
  // Not a database at all.
  const std::string junk = dir_.file("junk.db");
  write_file(junk, std::string(4096, 'x'));
  expect_one_line_error(run_on(sqlite_uri(junk), {"list"}), 3, "not a database");
}

TEST_F(OpsctlTest, MalformedStoreUriIsBadInput) {
  expect_one_line_error(run_on("mysql://db/ops", {"list"}), 2, "store_uri");
  expect_one_line_error(run_on("sqlite:x.db?cache=huge", {"list"}), 2, "unknown sqlite option");
}

TEST_F(OpsctlTest, UnknownIdIsNotFound) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"show", "nope"},
                                             {"events", "nope"},
                                             {"timeline", "nope"},
                                             {"children", "nope"},
                                             {"mark-stalled", "nope"},
                                             {"cancel", "nope", "--reason", "r"},
                                             {"complete", "nope", "--status", "Failed"}}) {
    expect_one_line_error(run(args), 1, "operation nope not found");
  }
}

TEST_F(OpsctlTest, MalformedIdIsBadInput) {
  expect_one_line_error(run({"show", "not an id"}), 2, "ID 'not an id': may contain only");
  expect_one_line_error(run({"list", "--parent", "a/b"}), 2, "--parent 'a/b'");
}

TEST_F(OpsctlTest, BadUsageIsExitTwo) {
  expect_one_line_error(run_opsctl({}), 2, "subcommand is required");
  expect_one_line_error(run({"frobnicate"}), 2, "unknown command 'frobnicate'");
  expect_one_line_error(run({"list", "--bogus"}), 2, "--bogus");
  expect_one_line_error(run({"show"}), 2, "ID is required");
  expect_one_line_error(run({"cancel", "import-1"}), 2, "--reason is required");
  expect_one_line_error(run({"list", "--limit", "0"}), 2, "--limit 0: must be from 1 to 1000");
  expect_one_line_error(run({"list", "--limit", "many"}), 2, "many");
  expect_one_line_error(run({"stalled", "--threshold", "1h", "--policy", "p.json"}), 2, "excludes");
  expect_one_line_error(run({"list", "--tag", "tenant"}), 2, "--tag 'tenant': must be KEY=VALUE");
  expect_one_line_error(run({"list", "--page-token", "garbage"}), 2, "page_token");
}

TEST_F(OpsctlTest, BadNowIsBadInput) {
  expect_one_line_error(run_opsctl({"--store", sqlite_uri(fixture_path_), "--now", "noon", "list"}),
                        2, "--now 'noon'");
}

TEST_F(OpsctlTest, ForbiddenTransitionIsBadInput) {
  const std::string copy = copy_of_fixture("copy.db");
  expect_one_line_error(run_on(sqlite_uri(copy), {"complete", "webhook-1", "--status", "Failed"}),
                        2, "cannot complete an operation that is Succeeded");
}

TEST_F(OpsctlTest, BadPolicyFileNamesTheProblem) {
  const std::string policy = dir_.file("policy.json");
  write_file(policy, R"({"default":"6h","pending_limt":"10m"})");
  expect_one_line_error(run({"stalled", "--policy", policy}), 2, "pending_limt: unknown key");
  write_file(policy, R"({"thresholds":{"Webhook.":"soon"}})");
  expect_one_line_error(run({"stalled", "--policy", policy}), 2, "thresholds.Webhook.");
  write_file(policy, "{not json");
  expect_one_line_error(run({"stalled", "--policy", policy}), 2, "is not valid JSON");
  expect_one_line_error(run({"stalled", "--policy", dir_.file("none.json")}), 2, "cannot be read");
}

TEST_F(OpsctlTest, BackupNeedsSqlite) {
  expect_one_line_error(run_on("memory:", {"backup", dir_.file("b.db")}), 2,
                        "works on SQLite stores only");
}

// Each subcommand's --help names every one of its options, the global --store
// and the exit codes.
TEST_F(OpsctlTest, EverySubcommandHelpIsComplete) {
  const std::vector<std::string> filters = {
      "--status", "--name",          "--prefix",         "--tag",           "--correlation",
      "--parent", "--started-after", "--started-before", "--updated-after", "--updated-before"};
  const auto plus = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  std::vector<std::string> watch_filters(filters.begin() + 1, filters.end());
  const std::map<std::string, std::vector<std::string>> expected = {
      {"list", plus(filters, {"--limit", "--page-token", "--all", "--oldest-first", "--json"})},
      {"count", plus(filters, {"--at-most", "--exact", "--json"})},
      {"show", {"ID", "--json"}},
      {"events", {"ID", "--after", "--limit", "--json"}},
      {"timeline", {"ID", "--json"}},
      {"children", {"ID", "--json"}},
      {"stalled", {"--threshold", "--policy", "--limit", "--mark", "--json"}},
      {"mark-stalled", {"ID", "--json"}},
      {"cancel", {"ID", "--reason", "--json"}},
      {"complete", {"ID", "--status", "--message", "--json"}},
      {"purge", {"--keep", "--keep-events", "--archive", "--json"}},
      {"export", {"--output", "--json"}},
      {"import", {"FILE", "--skip-existing", "--json"}},
      {"migrate", {"--json"}},
      {"backup", {"FILE", "--json"}},
      {"watch", plus(watch_filters, {"--interval", "--for", "--limit", "--once", "--json"})},
      {"demo", {"--duration", "--watch", "--interval", "--json"}},
  };
  const RunResult top = run_opsctl({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const auto& [command, options] : expected) {
    EXPECT_NE(top.out.find("  " + command + " "), std::string::npos) << command;
    const RunResult r = run_opsctl({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_EQ(r.err, "") << command;
    for (const std::string& option : plus(options, {"--store", "Exit codes"})) {
      EXPECT_NE(r.out.find(option), std::string::npos) << command << " --help lacks " << option;
    }
  }
}

}  // namespace
}  // namespace incursa::platform::opsctl::testing
