#include "opsctl_fixture.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "incursa/platform/platform.hpp"

namespace incursa::platform::opsctl::testing {

namespace {

using namespace std::chrono_literals;
using namespace incursa::platform;
using S = OperationStatus;

OperationId id_of(const char* text) { return OperationId::parse(text); }

StartOptions with(const char* id, Tags tags = {}, std::optional<OperationId> parent = std::nullopt,
                  std::optional<CorrelationContext> correlation = std::nullopt) {
  StartOptions o;
  o.id = id_of(id);
  o.tags = std::move(tags);
  o.parent_id = std::move(parent);
  o.correlation = std::move(correlation);
  return o;
}

ProgressUpdate progress(double percent, const char* message,
                        std::optional<StructuredProgress> structured = std::nullopt) {
  ProgressUpdate u;
  u.percent = percent;
  u.message = message;
  u.progress = std::move(structured);
  return u;
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/opsctl-test-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// A nightly import with two batches (one done, one stuck), two webhooks (one
// failed), a report that went quiet, an export canceled by an operator, an email
// marked Stalled, a cleanup job nobody picked up, and audit evidence.
void write_fixture_store(const std::string& path) {
  auto clock = std::make_shared<ManualClock>();  // 2026-01-01T00:00:00Z
  const Timestamp t0 = clock->now();
  auto store = open_store(sqlite_uri(path));
  Tracker tracker(store, {.clock = clock});
  AuditLog audit(audit_store(store), {.clock = clock});
  const auto at = [&](std::chrono::system_clock::duration offset) { clock->set(t0 + offset); };

  CorrelationContext nightly;
  nightly.correlation_id = CorrelationId::parse("corr-nightly");
  nightly.created_at = t0;

  at(0min);
  tracker.start("Nightly.Import",
                with("import-1", {{"tenant", "acme"}, {"source", "sftp"}}, std::nullopt, nightly));
  at(1min);
  tracker.update_progress(id_of("import-1"),
                          progress(0, "listing files", StructuredProgress{0, 4, "batches"}));
  at(2min);
  tracker.start("Import.Batch", with("batch-1", {{"tenant", "acme"}}, id_of("import-1"), nightly));
  at(3min);
  tracker.update_progress(id_of("batch-1"),
                          progress(50, "row 125 of 250", StructuredProgress{125, 250, "rows"}));
  at(4min);
  tracker.complete(id_of("batch-1"), S::Succeeded, "250 rows imported");
  at(5min);
  tracker.update_progress(id_of("import-1"),
                          progress(25, "batch 1 of 4 done", StructuredProgress{1, 4, "batches"}));
  AuditEvent approved;
  approved.id = AuditEventId::parse("audit-approved");
  approved.name = "import.approved";
  approved.display_message = "Import approved by Ada";
  approved.outcome = EventOutcome::Success;
  approved.anchors = {{"Operation", "import-1", "Subject"}};
  approved.actor = AuditActor{"User", "u-7", "Ada Lovelace"};
  approved.data_json = R"({"files":4})";
  audit.write(approved);
  at(6min);
  tracker.start("Import.Batch", with("batch-2", {{"tenant", "acme"}}, id_of("import-1"), nightly));
  at(7min);
  tracker.update_progress(id_of("batch-2"),
                          progress(40, "row 100 of 250", StructuredProgress{100, 250, "rows"}));

  at(10min);
  tracker.start("Webhook.Process", with("webhook-1", {{"provider", "stripe"}}));
  AuditEvent received;
  received.id = AuditEventId::parse("audit-received-1");
  received.name = "webhook.received";
  received.display_message = "Stripe invoice.paid for in_1001";
  received.outcome = EventOutcome::Info;
  received.anchors = {{"Operation", "webhook-1", "Subject"}, {"WebhookEvent", "evt_1", "Source"}};
  audit.write(received);
  at(10min + 200ms);
  tracker.add_event(id_of("webhook-1"), "payload.parsed", "invoice.paid in_1001",
                    R"({"invoice":"in_1001","amount":1200})");
  at(10min + 500ms);
  tracker.complete(id_of("webhook-1"), S::Succeeded, "in_1001 marked paid");

  at(20min);
  tracker.start("Webhook.Process", with("webhook-2", {{"provider", "stripe"}}));
  at(20min + 100ms);
  tracker.heartbeat(id_of("webhook-2"));
  at(20min + 300ms);
  record_failure(tracker, id_of("webhook-2"), "signature verification failed");

  at(30min);
  tracker.start("Report.Generate", with("report-1", {{"tenant", "acme"}}));
  at(31min);
  tracker.update_progress(
      id_of("report-1"), progress(30, "aggregating 12 months", StructuredProgress{3, 10, "steps"}));

  at(40min);
  tracker.start("Export.Customers", with("export-1", {{"tenant", "globex"}}));
  at(41min);
  tracker.update_progress(id_of("export-1"), progress(20, "exported 4000 rows"));
  at(45min);
  tracker.request_cancel(id_of("export-1"), "wrong tenant selected");
  at(46min);
  tracker.update_progress(id_of("export-1"), progress(30, "exported 6000 rows"));
  tracker.complete(id_of("export-1"), S::Canceled, "stopped on request");

  at(50min);
  tracker.start("Email.Send", with("email-1", {{"tenant", "acme"}}));
  at(80min);
  tracker.mark_stalled(id_of("email-1"));

  at(85min);
  tracker.start("Cleanup.Temp", with("cleanup-1"));
}

std::string sqlite_uri(const std::string& path) { return "sqlite:" + path; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(INCURSA_OPSCTL_GOLDEN_DIR) + "/" + name + ".txt";
  if (const char* update = std::getenv("UPDATE_GOLDEN"); update && std::string(update) == "1") {
    write_file(path, actual);
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing; UPDATE_GOLDEN=1 writes it";
  EXPECT_EQ(actual, read_file(path))
      << "output differs from " << path << " (run with UPDATE_GOLDEN=1 to accept the new output)";
}

void expect_one_line_error(const RunResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << "stderr: " << r.err;
  EXPECT_EQ(r.out, "");
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "stderr: " << r.err;
  EXPECT_TRUE(lines[0].starts_with("opsctl: ")) << lines[0];
  EXPECT_NE(lines[0].find(needle), std::string::npos) << lines[0] << "\nshould mention: " << needle;
}

TempDir* OpsctlTest::shared_ = nullptr;
std::string OpsctlTest::fixture_path_;

void OpsctlTest::SetUpTestSuite() {
  shared_ = new TempDir();
  fixture_path_ = shared_->file("fixture.db");
  write_fixture_store(fixture_path_);
}

void OpsctlTest::TearDownTestSuite() {
  delete shared_;
  shared_ = nullptr;
}

RunResult OpsctlTest::run(std::vector<std::string> args, RunOptions options) const {
  return run_on(sqlite_uri(fixture_path_), std::move(args), std::move(options));
}

RunResult OpsctlTest::run_on(const std::string& uri, std::vector<std::string> args,
                             RunOptions options) const {
  args.insert(args.begin(), {"--store", uri, "--now", kNow});
  return run_opsctl(args, options);
}

std::string OpsctlTest::copy_of_fixture(const std::string& name) const {
  const std::string path = dir_.file(name);
  std::filesystem::copy_file(fixture_path_, path);
  return path;
}

}  // namespace incursa::platform::opsctl::testing
