// What opsctl prints: golden tables (with --now fixed) and the --json documents.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "opsctl_fixture.hpp"

namespace incursa::platform::opsctl::testing {
namespace {

using nlohmann::json;

// Runs a read-only command on the fixture and compares its table with the golden file.
class Golden : public OpsctlTest {
 protected:
  void check(const std::string& golden, const std::vector<std::string>& args) {
    const RunResult r = run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    expect_golden(golden, r.out);
  }
};

TEST_F(Golden, List) { check("list", {"list"}); }
TEST_F(Golden, ListFilteredByStatus) {
  check("list_running_stalled", {"list", "--status", "Running,Stalled"});
}
TEST_F(Golden, ListFilteredByTagOldestFirst) {
  check("list_tag_oldest_first", {"list", "--tag", "tenant=acme", "--oldest-first"});
}
TEST_F(Golden, ListFilteredByTimeAndPrefix) {
  check("list_prefix_time", {"list", "--prefix", "Webhook.", "--started-after", "1h45m"});
}
TEST_F(Golden, ListFirstPageOffersTheNext) { check("list_page", {"list", "--limit", "3"}); }
TEST_F(Golden, Show) { check("show_export", {"show", "export-1"}); }
TEST_F(Golden, ShowRunning) { check("show_import", {"show", "import-1"}); }
TEST_F(Golden, Events) { check("events_webhook", {"events", "webhook-2"}); }
TEST_F(Golden, EventsAfterWithLimit) {
  check("events_after_limit", {"events", "export-1", "--after", "2", "--limit", "2"});
}
TEST_F(Golden, Timeline) { check("timeline_import", {"timeline", "import-1"}); }
TEST_F(Golden, TimelineWithAudit) { check("timeline_webhook", {"timeline", "webhook-1"}); }
TEST_F(Golden, Children) { check("children_import", {"children", "import-1"}); }
TEST_F(Golden, Count) { check("count", {"count"}); }
TEST_F(Golden, CountFiltered) { check("count_acme", {"count", "--tag", "tenant=acme"}); }
TEST_F(Golden, StalledByThreshold) {
  check("stalled_threshold", {"stalled", "--threshold", "30m"});
}
TEST_F(Golden, StalledDefaultThreshold) { check("stalled_default", {"stalled"}); }

TEST_F(Golden, StalledByPolicy) {
  const std::string policy = dir_.file("policy.json");
  write_file(policy, R"({"default":"6h","thresholds":{"Report.":"1h","Import.":"1h"},)"
                     R"("pending_limit":"10m","no_progress":"90m","fail_after_stalls":3})");
  check("stalled_policy", {"stalled", "--policy", policy});
}

TEST_F(Golden, WatchOncePlain) { check("watch_once", {"watch", "--once"}); }

TEST_F(OpsctlTest, NothingMatchesSaysSo) {
  const RunResult r = run({"list", "--name", "No.Such"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "no operations match\n");
}

TEST_F(OpsctlTest, TablesCarryNoColourOrTrailingBlanksOnAPipe) {
  const RunResult r = run({"list"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  for (const std::string& line : lines_of(r.out)) EXPECT_FALSE(line.ends_with(" ")) << line;
}

TEST_F(OpsctlTest, ColourOnlyOnATerminalAndNeverWithNoColor) {
  RunOptions tty;
  tty.terminal = true;
  const RunResult coloured = run({"list"}, tty);
  ASSERT_EQ(coloured.exit_code, 0) << coloured.err;
  EXPECT_NE(coloured.out.find("\x1b["), std::string::npos);

  tty.env["NO_COLOR"] = "1";
  const RunResult plain = run({"list"}, tty);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find('\x1b'), std::string::npos);
}

TEST_F(OpsctlTest, NowComesFromTheEnvironmentToo) {
  RunOptions options;
  options.env["OPSCTL_NOW"] = kNow;
  const RunResult flag = run({"list"});
  const RunResult env = run_opsctl({"--store", sqlite_uri(fixture_path_), "list"}, options);
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_EQ(env.out, flag.out);
}

TEST_F(OpsctlTest, StoreComesFromTheEnvironmentThenTheDefault) {
  RunOptions options;
  options.env["OPS_STORE"] = sqlite_uri(fixture_path_);
  options.env["OPSCTL_NOW"] = kNow;
  EXPECT_EQ(run_opsctl({"count"}, options).out, run({"count"}).out);

  // The default is ./operations.db in the working directory.
  std::filesystem::copy_file(fixture_path_, dir_.file("operations.db"));
  RunOptions in_dir;
  in_dir.cwd = dir_.path().string();
  in_dir.env["OPSCTL_NOW"] = kNow;
  EXPECT_EQ(run_opsctl({"count"}, in_dir).out, run({"count"}).out);
}

// The contract's snake_case field names, every one of them.
void expect_snapshot_fields(const json& op) {
  for (const char* key :
       {"id", "name", "status", "started_at", "updated_at", "last_progress_at", "completed_at",
        "percent", "message", "progress", "correlation", "parent_id", "tags", "cancel_requested_at",
        "cancel_reason", "stall_count", "version"}) {
    EXPECT_TRUE(op.contains(key)) << "missing " << key << " in " << op.dump();
  }
}

class Json : public OpsctlTest {
 protected:
  // `args` with --json: exit 0 and one JSON document on one line.
  json get(std::vector<std::string> args) const {
    args.push_back("--json");
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one document, one line";
    return json::parse(r.out);
  }
};

TEST_F(Json, List) {
  const json doc = get({"list"});
  ASSERT_EQ(doc.at("operations").size(), 9u);
  EXPECT_TRUE(doc.at("next_page_token").is_null());
  for (const json& op : doc.at("operations")) expect_snapshot_fields(op);
  const json page = get({"list", "--limit", "4"});
  EXPECT_EQ(page.at("operations").size(), 4u);
  EXPECT_TRUE(page.at("next_page_token").is_string());
  const json rest = get({"list", "--limit", "4", "--all"});
  EXPECT_EQ(rest.at("operations").size(), 9u);
}

TEST_F(Json, ListPagesWithTheToken) {
  std::vector<std::string> seen;
  std::string token;
  for (int guard = 0; guard < 10; ++guard) {
    std::vector<std::string> args{"list", "--limit", "3"};
    if (!token.empty()) args.insert(args.end(), {"--page-token", token});
    const json page = get(args);
    for (const json& op : page.at("operations")) seen.push_back(op.at("id"));
    if (page.at("next_page_token").is_null()) break;
    token = page.at("next_page_token");
  }
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 9u);
}

TEST_F(Json, Show) {
  const json op = get({"show", "export-1"});
  expect_snapshot_fields(op);
  EXPECT_EQ(op.at("status"), "Canceled");
  EXPECT_EQ(op.at("cancel_reason"), "wrong tenant selected");
  EXPECT_EQ(op.at("started_at"), "2026-01-01T00:40:00.000000Z");
}

TEST_F(Json, Events) {
  const json doc = get({"events", "webhook-2"});
  EXPECT_EQ(doc.at("operation_id"), "webhook-2");
  ASSERT_FALSE(doc.at("events").empty());
  for (const json& e : doc.at("events")) {
    for (const char* key :
         {"operation_id", "sequence", "occurred_at", "kind", "message", "data_json", "key"}) {
      EXPECT_TRUE(e.contains(key)) << key;
    }
  }
}

TEST_F(Json, TimelineCountStalledChildren) {
  const json timeline = get({"timeline", "import-1"});
  expect_snapshot_fields(timeline.at("operation"));
  std::set<std::string> sources;
  for (const json& e : timeline.at("entries")) sources.insert(e.at("source"));
  EXPECT_EQ(sources, (std::set<std::string>{"event", "child_started", "audit"}));

  const json count = get({"count"});
  EXPECT_EQ(count.at("total"), 9);
  EXPECT_EQ(count.at("counts").at("Stalled"), 1);
  EXPECT_EQ(count.at("at_most"), 10000);
  EXPECT_EQ(count.at("more"), json::array());
  const json cut = get({"count", "--at-most", "1"});
  EXPECT_EQ(cut.at("at_most"), 1);
  EXPECT_EQ(cut.at("counts").at("Stalled"), 1);
  EXPECT_GE(cut.at("more").size(), 1u);
  EXPECT_LT(cut.at("total"), 9);
  const json exact = get({"count", "--exact"});
  EXPECT_EQ(exact.at("total"), 9);
  EXPECT_FALSE(exact.contains("at_most"));

  const json stalled = get({"stalled", "--threshold", "30m"});
  ASSERT_EQ(stalled.at("stalled").size(), 4u);
  EXPECT_EQ(stalled.at("stalled")[0].at("operation").at("id"), "import-1");
  EXPECT_EQ(stalled.at("stalled")[0].at("threshold_ms"), 1800000);

  const json children = get({"children", "import-1"});
  EXPECT_EQ(children.at("operations").size(), 2u);
}

TEST_F(Json, WatchFrame) {
  const json frame = get({"watch", "--once"});
  EXPECT_EQ(frame.at("at"), "2026-01-01T02:00:00.000000Z");
  EXPECT_EQ(frame.at("active").size(), 5u);
  EXPECT_EQ(frame.at("counts").at("Running"), 3);
}

}  // namespace
}  // namespace incursa::platform::opsctl::testing
