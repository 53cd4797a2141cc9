// demo: a short run tells the whole story; watch shows it.
#include <nlohmann/json.hpp>

#include "opsctl_fixture.hpp"

namespace incursa::platform::opsctl::testing {
namespace {

using nlohmann::json;

class Demo : public OpsctlTest {
 protected:
  json show(const std::string& id) {
    const RunResult r = run_on(store_, {"show", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  std::string store_;
};

TEST_F(Demo, ShortRunWritesTheWholeScenario) {
  store_ = sqlite_uri(dir_.file("demo.db"));
  const RunResult r = run_on(store_, {"demo", "--duration", "3s", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json result = json::parse(r.out);
  EXPECT_FALSE(result.at("interrupted").get<bool>());

  // A nightly import with its child batches.
  const json import = show(result.at("import_id"));
  EXPECT_EQ(import.at("name"), "Nightly.Import");
  EXPECT_EQ(import.at("status"), "Succeeded");
  ASSERT_EQ(result.at("batch_ids").size(), 4u);
  for (const json& id : result.at("batch_ids")) {
    const json batch = show(id);
    EXPECT_EQ(batch.at("parent_id"), result.at("import_id"));
    EXPECT_EQ(batch.at("status"), "Succeeded");
    EXPECT_EQ(batch.at("progress").at("current"), 250);
  }
  // Webhooks arriving, exactly one failed.
  ASSERT_GE(result.at("webhook_ids").size(), 5u);
  int failed = 0;
  for (const json& id : result.at("webhook_ids")) {
    const json hook = show(id);
    EXPECT_EQ(hook.at("name"), "Webhook.Process");
    failed += hook.at("status") == "Failed" ? 1 : 0;
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(show(result.at("failed_id")).at("status"), "Failed");
  // One stalled, one canceled mid-way.
  const json stalled = show(result.at("stalled_id"));
  EXPECT_EQ(stalled.at("status"), "Stalled");
  EXPECT_EQ(stalled.at("stall_count"), 1);
  const json canceled = show(result.at("canceled_id"));
  EXPECT_EQ(canceled.at("status"), "Canceled");
  EXPECT_FALSE(canceled.at("cancel_reason").is_null());
  EXPECT_GT(canceled.at("percent").get<double>(), 0.0);
  EXPECT_LT(canceled.at("percent").get<double>(), 100.0);

  const json counts = json::parse(run_on(store_, {"count", "--json"}).out).at("counts");
  EXPECT_EQ(counts.at("Failed"), 1);
  EXPECT_EQ(counts.at("Stalled"), 1);
  EXPECT_EQ(counts.at("Canceled"), 1);
  EXPECT_EQ(counts.at("Running"), 0);
  EXPECT_EQ(counts.at("Pending"), 0);

  // The failure's reason, and the import's timeline from every source.
  const json events =
      json::parse(run_on(store_, {"events", result.at("failed_id"), "--json"}).out).at("events");
  bool has_error = false;
  for (const json& e : events) has_error = has_error || e.at("kind") == "Error";
  EXPECT_TRUE(has_error);
  std::set<std::string> sources;
  const json timeline =
      json::parse(run_on(store_, {"timeline", result.at("import_id"), "--json"}).out);
  for (const json& e : timeline.at("entries")) sources.insert(e.at("source"));
  EXPECT_EQ(sources, (std::set<std::string>{"event", "child_started", "audit"}));
}

TEST_F(Demo, WatchLinesWhenNotATerminal) {
  store_ = sqlite_uri(dir_.file("demo.db"));
  const RunResult r =
      run_on(store_, {"demo", "--duration", "2s", "--watch", "--interval", "200ms"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "no escape codes on a pipe";
  EXPECT_NE(r.out.find("Running Nightly.Import"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Demo finished"), std::string::npos);
  EXPECT_NE(r.out.find("opsctl --store " + store_ + " timeline "), std::string::npos) << r.out;
}

TEST_F(Demo, WatchRedrawsInPlaceOnATerminal) {
  store_ = sqlite_uri(dir_.file("demo.db"));
  RunOptions tty;
  tty.terminal = true;
  const RunResult r =
      run_on(store_, {"demo", "--duration", "1s", "--watch", "--interval", "200ms"}, tty);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\x1b[?25l"), std::string::npos) << "hides the cursor";
  EXPECT_NE(r.out.find("\x1b[H"), std::string::npos) << "redraws from the top";
  EXPECT_NE(r.out.find("\x1b[?25h"), std::string::npos) << "shows the cursor again";
  EXPECT_NE(r.out.find("ACTIVE"), std::string::npos);
  EXPECT_NE(r.out.find("\u2588"), std::string::npos) << "progress bars";
}

TEST_F(Demo, WatchForStopsByItself) {
  const RunResult r = run({"watch", "--for", "300ms", "--interval", "100ms"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Unchanged frames are not printed again.
  EXPECT_EQ(r.out, run({"watch", "--once"}).out);
}

}  // namespace
}  // namespace incursa::platform::opsctl::testing
