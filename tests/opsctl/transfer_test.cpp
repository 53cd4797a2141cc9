// export / import: a store's contents move to another store without loss, and
// re-export byte for byte the same; bad input is refused line by line.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "opsctl_fixture.hpp"

namespace incursa::platform::opsctl::testing {
namespace {

using nlohmann::json;

class Transfer : public OpsctlTest {
 protected:
  std::string export_of(const std::string& uri) {
    const RunResult r = run_on(uri, {"export"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // Exports the fixture, imports it into `target`, exports `target` again.
  void expect_round_trip(const std::string& target) {
    const std::string first = export_of(sqlite_uri(fixture_path_));
    ASSERT_FALSE(first.empty());
    const std::string file = dir_.file("export.jsonl");
    write_file(file, first);
    const RunResult imported = run_on(target, {"import", file, "--json"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    const json summary = json::parse(imported.out);
    EXPECT_EQ(summary.at("operations"), 9);
    EXPECT_EQ(summary.at("audit_events"), 2);
    EXPECT_EQ(export_of(target), first);
  }
};

TEST_F(Transfer, ExportIsOperationsOldestFirstThenAuditEvents) {
  const std::vector<std::string> lines = lines_of(export_of(sqlite_uri(fixture_path_)));
  ASSERT_EQ(lines.size(), 11u);
  std::vector<std::string> ids;
  for (const std::string& line : lines) {
    const json record = json::parse(line);
    if (record.at("type") == "operation") {
      ids.push_back(record.at("snapshot").at("id"));
      EXPECT_FALSE(record.at("events").empty());
    } else {
      EXPECT_EQ(record.at("type"), "audit_event");
      ids.push_back(record.at("audit_event").at("id"));
    }
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"import-1", "batch-1", "batch-2", "webhook-1",
                                           "webhook-2", "report-1", "export-1", "email-1",
                                           "cleanup-1", "audit-approved", "audit-received-1"}));
}

// Export streams a page at a time; ids that share a start time still come out
// in byte order, across page boundaries (1,000 rows a page).
TEST_F(Transfer, ManyOperationsWithOneStartTimeExportInIdOrder) {
  const std::vector<std::string> lines = lines_of(export_of(sqlite_uri(fixture_path_)));
  json model = json::parse(lines.at(0));
  model["events"] = json::array();
  std::mt19937 random(7);
  std::vector<std::string> ids;
  std::string input;
  for (int i = 0; i < 2500; ++i) {
    ids.push_back("tie-" + std::to_string(random() % 1000000) + "-" + std::to_string(i));
    model["snapshot"]["id"] = ids.back();
    model["snapshot"]["parent_id"] = nullptr;
    input += model.dump() + "\n";
  }
  const std::string file = dir_.file("ties.jsonl");
  write_file(file, input);
  const std::string target = sqlite_uri(dir_.file("ties.db"));
  const RunResult imported = run_on(target, {"import", file});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  std::vector<std::string> exported;
  for (const std::string& line : lines_of(export_of(target))) {
    exported.push_back(json::parse(line).at("snapshot").at("id"));
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(exported, ids);
}

TEST_F(Transfer, SqliteToSqliteReExportsIdentically) {
  expect_round_trip(sqlite_uri(dir_.file("target.db")));
}

TEST_F(Transfer, ExportToAFileAndImportFromStandardInput) {
  const std::string file = dir_.file("out.jsonl");
  const RunResult exported = run({"export", "--output", file});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, "exported 9 operations (23 events) and 2 audit events to " + file + "\n");
  RunOptions from_stdin;
  from_stdin.stdin_text = read_file(file);
  const std::string target = sqlite_uri(dir_.file("target.db"));
  const RunResult imported = run_on(target, {"import"}, from_stdin);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(export_of(target), read_file(file));
}

TEST_F(Transfer, SqliteToPostgresReExportsIdentically) {
  const char* uri_file = std::getenv("INCURSA_PG_URI_FILE");
  if (!uri_file || !*uri_file) {
    GTEST_SKIP() << "\n\n*** SKIPPED: the SQLite -> PostgreSQL round trip needs a server. Set "
                    "INCURSA_PG_URI_FILE to a file holding a postgresql:// URI (the postgres test "
                    "fixture writes one). ***\n";
  }
  std::string uri = read_file(uri_file);
  while (!uri.empty() && std::isspace(static_cast<unsigned char>(uri.back()))) uri.pop_back();
  ASSERT_FALSE(uri.empty()) << uri_file << " is empty";
  // A schema of its own: the target must start empty, whatever else shares the server.
  std::random_device random;
  const std::string schema = "opsctl_rt_" + std::to_string(random() % 1000000000);
  uri += (uri.find('?') == std::string::npos ? "?" : "&") + std::string("schema=") + schema;
  expect_round_trip(uri);
}

TEST_F(Transfer, ImportRefusesWhatTheStoreHasUnlessSkipping) {
  const std::string file = dir_.file("export.jsonl");
  write_file(file, export_of(sqlite_uri(fixture_path_)));
  const std::string copy = sqlite_uri(copy_of_fixture("copy.db"));
  const std::string before = export_of(copy);
  expect_one_line_error(run_on(copy, {"import", file}), 2,
                        "line 1: operation 'import-1' already exists in the target store");
  EXPECT_EQ(export_of(copy), before);
  const RunResult skipped = run_on(copy, {"import", file, "--skip-existing", "--json"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_EQ(json::parse(skipped.out).at("skipped_operations"), 9);
  EXPECT_EQ(export_of(copy), before);
}

// Each corruption of line 3 is refused with its line number, and nothing at
// all is written (not even the good lines before it).
TEST_F(Transfer, CorruptedLineFailsWithItsNumberAndWritesNothing) {
  const std::vector<std::string> good = lines_of(export_of(sqlite_uri(fixture_path_)));
  ASSERT_GE(good.size(), 4u);
  json third = json::parse(good[2]);
  const auto with = [&](const std::function<void(json&)>& change) {
    json copy = third;
    change(copy);
    return copy.dump();
  };
  const std::vector<std::pair<std::string, std::string>> corruptions = {
      {good[2].substr(0, good[2].size() / 2), "is not valid JSON"},
      {"[1,2,3]", "must be a JSON object"},
      {with([](json& j) { j["type"] = "opration"; }), "type: must be"},
      {with([](json& j) { j["snapshot"]["status"] = "Done"; }), "snapshot.status"},
      {with([](json& j) { j["snapshot"]["name"] = "not a name!"; }), "snapshot.name"},
      {with([](json& j) { j["snapshot"]["id"] = "bad id"; }), "snapshot.operation_id"},
      {with([](json& j) { j["snapshot"]["percent"] = 250; }), "snapshot.percent"},
      {with([](json& j) { j["snapshot"]["started_at"] = "yesterday"; }), "snapshot.started_at"},
      {with([](json& j) { j["snapshot"]["completed_at"] = "2026-01-01T00:00:00Z"; }),
       "snapshot.completed_at"},
      {with([](json& j) { j["snapshot"]["colour"] = "red"; }), "snapshot.colour: unknown field"},
      {with([](json& j) { j["events"][1]["sequence"] = 1; }), "events[1].sequence"},
      {with([](json& j) { j["events"][0]["operation_id"] = "other"; }), "events[0].operation_id"},
      {with([](json& j) { j["events"][0]["data_json"] = "{oops"; }), "events[0].data_json"},
      {with([](json& j) { j["events"][0]["key"] = ""; }), "events[0].key"},
      {good[1], "operation 'batch-1' appears twice (first at"},
  };
  for (const auto& [line, needle] : corruptions) {
    std::string text;
    for (std::size_t i = 0; i < good.size(); ++i) text += (i == 2 ? line : good[i]) + "\n";
    const std::string file = dir_.file("corrupt.jsonl");
    write_file(file, text);
    const std::string target = sqlite_uri(dir_.file("target.db"));
    const RunResult r = run_on(target, {"import", file});
    SCOPED_TRACE(needle);
    expect_one_line_error(r, 2, file + " line 3: ");
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    const RunResult count = run_on(target, {"count", "--json"});
    EXPECT_EQ(json::parse(count.out).at("total"), 0) << "nothing may be written";
  }
}

TEST_F(Transfer, CorruptedAuditLineIsRefusedToo) {
  std::vector<std::string> lines = lines_of(export_of(sqlite_uri(fixture_path_)));
  json audit = json::parse(lines.back());
  audit["audit_event"]["anchors"] = json::array();
  lines.back() = audit.dump();
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  const std::string file = dir_.file("corrupt.jsonl");
  write_file(file, text);
  expect_one_line_error(run_on(sqlite_uri(dir_.file("t.db")), {"import", file}), 2,
                        "line 11: audit_event: At least one anchor is required.");
}

TEST_F(Transfer, DemoDataRoundTripsToo) {
  const std::string source = sqlite_uri(dir_.file("demo.db"));
  ASSERT_EQ(run_on(source, {"demo", "--duration", "1s", "--json"}).exit_code, 0);
  const std::string first = export_of(source);
  const std::string file = dir_.file("demo.jsonl");
  write_file(file, first);
  const std::string target = sqlite_uri(dir_.file("demo-copy.db"));
  ASSERT_EQ(run_on(target, {"import", file}).exit_code, 0);
  EXPECT_EQ(export_of(target), first);
}

}  // namespace
}  // namespace incursa::platform::opsctl::testing
