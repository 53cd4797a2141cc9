// The commands that change a store: cancel, complete, mark-stalled, stalled
// --mark, purge, migrate, backup. Each runs on a private copy of the fixture.
#include <nlohmann/json.hpp>

#include "opsctl_fixture.hpp"

namespace incursa::platform::opsctl::testing {
namespace {

using nlohmann::json;

class Actions : public OpsctlTest {
 protected:
  void SetUp() override { store_ = sqlite_uri(copy_of_fixture("copy.db")); }

  RunResult on_copy(std::vector<std::string> args) { return run_on(store_, std::move(args)); }
  json snapshot(const std::string& id) {
    const RunResult r = on_copy({"show", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  std::vector<std::string> event_kinds(const std::string& id) {
    const RunResult r = on_copy({"events", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> kinds;
    const json doc = json::parse(r.out);  // named: a temporary would die before the loop
    for (const json& e : doc.at("events")) kinds.push_back(e.at("kind"));
    return kinds;
  }
  std::vector<std::string> audit_names(const std::string& id) {
    std::vector<std::string> names;
    const json doc = json::parse(on_copy({"timeline", id, "--json"}).out);
    for (const json& e : doc.at("entries")) {
      if (e.at("source") == "audit") names.push_back(e.at("audit_event").at("name"));
    }
    return names;
  }

  std::string store_;
};

TEST_F(Actions, CancelRecordsTheRequestAndItsAuditEvent) {
  const RunResult r = on_copy({"cancel", "report-1", "--reason", "stuck for an hour"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("cancel requested for report-1 (Running)")) << r.out;
  const json s = snapshot("report-1");
  EXPECT_EQ(s.at("status"), "Running");  // the worker acknowledges, not opsctl
  EXPECT_EQ(s.at("cancel_reason"), "stuck for an hour");
  EXPECT_EQ(s.at("cancel_requested_at"), "2026-01-01T02:00:00.000000Z");
  const std::vector<std::string> kinds = event_kinds("report-1");
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.back(), "cancel_requested");
  EXPECT_EQ(audit_names("report-1"), (std::vector<std::string>{"operation.cancel_requested"}));

  const RunResult done = on_copy({"cancel", "webhook-1", "--reason", "late"});
  EXPECT_EQ(done.exit_code, 0);
  EXPECT_EQ(done.out, "webhook-1 is already Succeeded; nothing to cancel\n");
}

TEST_F(Actions, CompleteByHand) {
  const RunResult r =
      on_copy({"complete", "email-1", "--status", "Canceled", "--message", "worker gone"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "email-1: Stalled -> Canceled\n");
  const json s = snapshot("email-1");
  EXPECT_EQ(s.at("status"), "Canceled");
  EXPECT_EQ(s.at("message"), "worker gone");
  EXPECT_EQ(s.at("completed_at"), "2026-01-01T02:00:00.000000Z");
  EXPECT_EQ(audit_names("email-1"), (std::vector<std::string>{"operation.completed"}));
  // The same status again is a no-op.
  EXPECT_EQ(on_copy({"complete", "email-1", "--status", "Canceled"}).out,
            "email-1 is already Canceled\n");
  // Failed writes operation.failed.
  ASSERT_EQ(on_copy({"complete", "report-1", "--status", "Failed"}).exit_code, 0);
  EXPECT_EQ(audit_names("report-1"), (std::vector<std::string>{"operation.failed"}));
}

TEST_F(Actions, MarkStalled) {
  const RunResult r = on_copy({"mark-stalled", "batch-2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "batch-2 marked Stalled (stall 1)\n");
  EXPECT_EQ(snapshot("batch-2").at("status"), "Stalled");
  EXPECT_EQ(audit_names("batch-2"), (std::vector<std::string>{"operation.stalled"}));
  EXPECT_EQ(on_copy({"mark-stalled", "batch-2"}).out,
            "batch-2 not marked: it is already Stalled\n");
  EXPECT_EQ(on_copy({"mark-stalled", "webhook-1"}).out,
            "webhook-1 not marked: it is already Succeeded\n");
}

TEST_F(Actions, StalledMarkMarksWhatItFinds) {
  const RunResult listed = on_copy({"stalled", "--threshold", "1h", "--json"});
  ASSERT_EQ(json::parse(listed.out).at("stalled").size(), 3u);
  const RunResult marked = on_copy({"stalled", "--threshold", "1h", "--mark", "--json"});
  ASSERT_EQ(marked.exit_code, 0) << marked.err;
  const json doc = json::parse(marked.out);
  EXPECT_EQ(doc.at("marked").size(), 3u);
  EXPECT_TRUE(doc.at("failed").empty());
  EXPECT_EQ(snapshot("report-1").at("status"), "Stalled");
  EXPECT_EQ(
      json::parse(on_copy({"stalled", "--threshold", "1h", "--json"}).out).at("stalled").size(),
      0u);
}

TEST_F(Actions, PolicyFailsAfterTooManyStalls) {
  const std::string policy = dir_.file("policy.json");
  write_file(policy, R"({"default":"1h","fail_after_stalls":1})");
  const RunResult r = on_copy({"stalled", "--policy", policy, "--mark"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("marked 3 Stalled, failed 3 after 1 stalls"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot("import-1").at("status"), "Failed");
}

TEST_F(Actions, PurgeArchivesThenDeletesOldFinishedWork) {
  const std::string archive = dir_.file("purged.jsonl");
  const RunResult r = on_copy({"purge", "--keep", "1h30m", "--archive", archive});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Finished before 00:30: batch-1 (00:04), webhook-1 (00:10), webhook-2 (00:20).
  EXPECT_EQ(r.out,
            "purged 3 operations finished more than 1h30m ago; archived to " + archive + "\n");
  const std::vector<std::string> lines = lines_of(read_file(archive));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(json::parse(lines[0]).at("id"), "batch-1");
  // "What happened to batch-1?": purged, and its events are still there to read.
  expect_one_line_error(on_copy({"show", "batch-1"}), 1,
                        "not found: was purged at 2026-01-01T02:00:00Z (Import.Batch, Succeeded, "
                        "completed 2026-01-01T00:04:00Z); its events are kept (opsctl events "
                        "batch-1)");
  const RunResult kept = on_copy({"events", "batch-1"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(kept.out.rfind("operation batch-1 was purged at 2026-01-01T02:00:00Z", 0), 0u)
      << kept.out;
  EXPECT_NE(kept.out.find("Running -> Succeeded"), std::string::npos) << kept.out;
  const json kept_json = json::parse(on_copy({"events", "batch-1", "--json"}).out);
  EXPECT_EQ(kept_json.at("purged").at("status"), "Succeeded");
  EXPECT_EQ(kept_json.at("purged").at("purged_at"), "2026-01-01T02:00:00.000000Z");
  EXPECT_FALSE(kept_json.at("events").empty());
  EXPECT_EQ(snapshot("export-1").at("status"), "Canceled");  // 00:46: kept
  EXPECT_EQ(snapshot("import-1").at("status"), "Running");   // open: never touched

  const RunResult events = on_copy({"purge", "--keep", "1h30m", "--keep-events", "1h", "--json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  const json summary = json::parse(events.out);
  EXPECT_EQ(summary.at("operations_purged"), 0);
  EXPECT_GT(summary.at("events_purged").get<int>(), 0);
}

TEST_F(Actions, MigrateCreatesAStoreAndBackupCopiesIt) {
  const std::string fresh = dir_.file("fresh.db");
  const RunResult m = run_on(sqlite_uri(fresh), {"migrate", "--json"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const json doc = json::parse(m.out);
  EXPECT_EQ(doc.at("kind"), "sqlite");
  EXPECT_GE(doc.at("schema_version").get<int>(), 2);
  EXPECT_TRUE(std::filesystem::exists(fresh));

  const std::string backup = dir_.file("backup.db");
  const RunResult b = on_copy({"backup", backup});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(b.out.starts_with("backed up " + store_ + " to " + backup)) << b.out;
  EXPECT_EQ(run_on(sqlite_uri(backup), {"count"}).out, on_copy({"count"}).out);
  expect_one_line_error(on_copy({"backup", backup}), 3, "already exists");
}

}  // namespace
}  // namespace incursa::platform::opsctl::testing
