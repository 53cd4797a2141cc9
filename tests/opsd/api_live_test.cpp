// The live side: GET /v1/stream (Server-Sent Events) and :wait, including
// changes written by another process sharing the store.
#include <future>
#include <regex>
#include <thread>

#include "api_helpers.hpp"
#include "sse_stream.hpp"

namespace opsd_test {
namespace {

using namespace std::chrono_literals;

// Blocks until opsd's gauge `name` on /metrics reads `n` -- e.g. requests parked
// in :wait -- so a test knows its waiter really waits before it completes the
// operation. Each look is a request: no sleeping.
void await_gauge(httplib::Client& c, const std::string& name, int n) {
  const std::regex gauge(name + " (\\d+)");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = c.Get("/metrics");
    std::smatch m;
    if (r && std::regex_search(r->body, m, gauge) && std::stoi(m[1]) == n) return;
    std::this_thread::yield();
  }
  FAIL() << name << " never reached " << n;
}

class Live : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    opsd_ = new OpsdProcess(OpsdConfig().with_args({"--stream-heartbeat", "300ms"}));
  }
  static void TearDownTestSuite() {
    delete opsd_;
    opsd_ = nullptr;
  }
  void SetUp() override { c_ = opsd_->client(); }

  std::string op_path(const json& op, const std::string& suffix = "") {
    return "/v1/operations/" + op["id"].get<std::string>() + suffix;
  }

  static OpsdProcess* opsd_;
  std::unique_ptr<httplib::Client> c_;
};

OpsdProcess* Live::opsd_ = nullptr;

bool is_change(const SseEvent& e) { return e.event == "change"; }

TEST_F(Live, StreamSendsReadyThenEveryChange) {
  SseStream stream(opsd_->port(), "/v1/stream", kReadToken);
  ASSERT_EQ(stream.status(), 200);
  EXPECT_NE(stream.head().find("Content-Type: text/event-stream"), std::string::npos);
  const auto ready = stream.next(5s);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->event, "ready");

  const json op = start(*c_, {{"name", "Stream.Basic"}});
  post(*c_, op_path(op, "/progress"), {{"percent", 25}});
  post(*c_, op_path(op, "/events"), {{"kind", "checkpoint"}});
  post(*c_, op_path(op, "/complete"), {{"status", "Succeeded"}});

  std::vector<std::string> kinds;
  std::string last_id;
  while (kinds.size() < 4) {
    const auto e = stream.next_matching(is_change, 5s);
    ASSERT_TRUE(e) << "got " << kinds.size() << " changes";
    const json data = json::parse(e->data);
    EXPECT_EQ(data["operation"]["id"], op["id"]);
    EXPECT_EQ(std::to_string(data["sequence"].get<std::uint64_t>()), e->id);
    if (!last_id.empty()) {
      EXPECT_GT(std::stoull(e->id), std::stoull(last_id));
    }
    last_id = e->id;
    kinds.push_back(data["kind"]);
    if (data["kind"] == "event") {
      EXPECT_EQ(data["event"]["kind"], "checkpoint");
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"started", "progress", "event", "completed"}));
}

TEST_F(Live, StreamFiltersLikeTheList) {
  SseStream stream(opsd_->port(), "/v1/stream?name_prefix=Wanted.&status=Succeeded", kReadToken);
  ASSERT_TRUE(stream.next(5s));  // ready
  const json other = start(*c_, {{"name", "Unwanted.Job"}});
  post(*c_, op_path(other, "/complete"), {{"status", "Succeeded"}});
  const json wanted = start(*c_, {{"name", "Wanted.Job"}});
  post(*c_, op_path(wanted, "/complete"), {{"status", "Succeeded"}});
  const auto e = stream.next_matching(is_change, 5s);
  ASSERT_TRUE(e);
  const json data = json::parse(e->data);
  EXPECT_EQ(data["operation"]["id"], wanted["id"]);
  EXPECT_EQ(data["operation"]["status"], "Succeeded");
}

TEST_F(Live, StreamForOneOperationById) {
  const json op = start(*c_, {{"name", "Stream.One"}});
  SseStream stream(opsd_->port(), "/v1/stream?id=" + op["id"].get<std::string>(), kReadToken);
  ASSERT_TRUE(stream.next(5s));
  start(*c_, {{"name", "Stream.Noise"}});
  post(*c_, op_path(op, "/heartbeat"), json::object());
  const auto e = stream.next_matching(is_change, 5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(json::parse(e->data)["kind"], "heartbeat");
  EXPECT_EQ(json::parse(e->data)["operation"]["id"], op["id"]);
}

TEST_F(Live, StreamResumesAfterLastEventId) {
  const json op = start(*c_, {{"name", "Stream.Resume"}});
  std::string seen;
  {
    SseStream first(opsd_->port(), "/v1/stream?id=" + op["id"].get<std::string>(), kReadToken);
    ASSERT_TRUE(first.next(5s));
    post(*c_, op_path(op, "/progress"), {{"percent", 10}});
    const auto e = first.next_matching(is_change, 5s);
    ASSERT_TRUE(e);
    seen = e->id;
  }
  // Written while nobody was listening.
  post(*c_, op_path(op, "/progress"), {{"percent", 20}});
  SseStream again(opsd_->port(), "/v1/stream?id=" + op["id"].get<std::string>(), kReadToken,
                  {"Last-Event-ID: " + seen});
  const auto e = again.next_matching(is_change, 5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(json::parse(e->data)["operation"]["percent"], 20.0);
}

TEST_F(Live, QuietStreamsGetKeepalives) {
  SseStream stream(opsd_->port(), "/v1/stream?name=Nothing.Matches", kReadToken);
  ASSERT_TRUE(stream.next(5s));  // ready
  // Keepalives are comments: no event arrives, but the connection stays open.
  EXPECT_FALSE(stream.next(1s));
  const json op = start(*c_, {{"name", "Nothing.Matches"}});
  EXPECT_TRUE(stream.next_matching(is_change, 5s));
}

TEST_F(Live, StreamErrors) {
  EXPECT_EQ(SseStream(opsd_->port(), "/v1/stream", "").status(), 401);
  EXPECT_EQ(SseStream(opsd_->port(), "/v1/stream?status=Bogus", kReadToken).status(), 400);
  EXPECT_EQ(SseStream(opsd_->port(), "/v1/stream?limit=5", kReadToken).status(), 400);
}

TEST(LiveLimits, StreamsBeyondTheLimitAre503) {
  OpsdProcess opsd(OpsdConfig().with_args({"--max-streams", "1"}));
  SseStream first(opsd.port(), "/v1/stream", kReadToken);
  ASSERT_EQ(first.status(), 200);
  SseStream second(opsd.port(), "/v1/stream", kReadToken);
  EXPECT_EQ(second.status(), 503);
  EXPECT_NE(second.head().find("Retry-After"), std::string::npos);
}

TEST_F(Live, WaitReturnsWhenTheOperationCompletes) {
  const json op = start(*c_, {{"name", "Wait.Complete"}});
  auto waiter = std::async(std::launch::async, [this, op] {
    auto c = opsd_->client(kReadToken);
    const auto begin = std::chrono::steady_clock::now();
    Reply r = get(*c, op_path(op, ":wait?timeout=30s"));
    return std::pair(r, std::chrono::steady_clock::now() - begin);
  });
  await_gauge(*c_, "opsd_waits_open", 1);
  post(*c_, op_path(op, "/complete"), {{"status", "Succeeded"}});
  const auto [reply, took] = waiter.get();
  ASSERT_EQ(reply.status, 200) << reply.text;
  EXPECT_EQ(reply.body["done"], true);
  EXPECT_EQ(reply.body["operation"]["status"], "Succeeded");
  EXPECT_LT(took, 20s);  // woken by the completion, not by the 30 s timeout
}

TEST_F(Live, WaitReturnsAtTheTimeoutWithTheLatestState) {
  const json op = start(*c_, {{"name", "Wait.Timeout"}});
  post(*c_, op_path(op, "/progress"), {{"percent", 50}});
  const auto begin = std::chrono::steady_clock::now();
  const Reply r = get(*c_, op_path(op, ":wait?timeout=300ms"));
  const auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["done"], false);
  EXPECT_EQ(r.body["operation"]["percent"], 50.0);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 20s);
}

TEST(LiveLimits, WaitTimeoutIsCappedByMaxWait) {
  OpsdProcess opsd(OpsdConfig().with_args({"--max-wait", "1s"}));
  auto c = opsd.client();
  const json op = start(*c, {{"name", "Wait.Capped"}});
  const auto begin = std::chrono::steady_clock::now();
  const Reply r = get(*c, "/v1/operations/" + op["id"].get<std::string>() + ":wait?timeout=1h");
  const auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["done"], false);
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 30s);
}

TEST_F(Live, WaitOnAFinishedOperationReturnsAtOnce) {
  const json op = start(*c_, {{"name", "Wait.Done"}});
  post(*c_, op_path(op, "/complete"), {{"status", "Failed"}});
  const Reply r = get(*c_, op_path(op, ":wait"));
  EXPECT_EQ(r.body["done"], true);
  EXPECT_EQ(r.body["operation"]["status"], "Failed");
}

TEST_F(Live, WaitErrors) {
  EXPECT_EQ(get(*c_, "/v1/operations/nope:wait?timeout=1s").status, 404);
  const json op = start(*c_, {{"name", "Wait.Errors"}});
  const Reply bad = get(*c_, op_path(op, ":wait?timeout=soon"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "timeout");
  EXPECT_EQ(get(*c_, op_path(op, ":wait?x=1")).status, 400);
  EXPECT_EQ(get(*opsd_->client(""), op_path(op, ":wait")).status, 401);
}

TEST(LiveLimits, WaitsBeyondTheLimitAre503) {
  OpsdProcess opsd(OpsdConfig().with_args({"--max-waits", "1"}));
  auto c = opsd.client();
  const json op = start(*c, {{"name", "Wait.Limit"}});
  const std::string path = "/v1/operations/" + op["id"].get<std::string>() + ":wait";
  auto first =
      std::async(std::launch::async, [&] { return get(*opsd.client(), path + "?timeout=20s"); });
  await_gauge(*c, "opsd_waits_open", 1);
  const Reply second = get(*c, path + "?timeout=0s");
  EXPECT_EQ(second.status, 503);
  EXPECT_EQ(second.error_code(), "unavailable");
  EXPECT_EQ(second.header("Retry-After"), "1");
  post(*c, "/v1/operations/" + op["id"].get<std::string>() + "/complete",
       {{"status", "Succeeded"}});
  EXPECT_EQ(first.get().body["done"], true);
}

#ifdef OPSD_TEST_SQLITE
// Two opsd processes on one SQLite file: a write through one reaches the other's
// stream and :wait through its poller.
TEST(LiveAcrossProcesses, WritesByAnotherProcessReachStreamsAndWaits) {
  const auto dir = temp_dir("opsd-shared");
  const std::string store = "sqlite:" + (dir / "ops.db").string();
  OpsdProcess watcher(OpsdConfig().with_store(store).with_args({"--poll-interval", "100ms"}));
  OpsdProcess writer(OpsdConfig().with_store(store));
  auto w = writer.client();
  const json op = start(*w, {{"name", "Shared.Job"}});

  SseStream stream(watcher.port(), "/v1/stream?id=" + op["id"].get<std::string>(), kReadToken);
  ASSERT_TRUE(stream.next(5s));  // ready
  auto waiter = std::async(std::launch::async, [&] {
    return get(*watcher.client(kReadToken),
               "/v1/operations/" + op["id"].get<std::string>() + ":wait?timeout=20s");
  });
  post(*w, "/v1/operations/" + op["id"].get<std::string>() + "/progress", {{"percent", 70}});
  // The poller may first publish the start it also found; the progress follows.
  const auto progress = stream.next_matching(
      [](const SseEvent& e) {
        return is_change(e) && json::parse(e.data)["operation"]["percent"] == 70.0;
      },
      10s);
  ASSERT_TRUE(progress);
  EXPECT_EQ(json::parse(progress->data)["kind"], "updated");

  post(*w, "/v1/operations/" + op["id"].get<std::string>() + "/complete",
       {{"status", "Succeeded"}});
  const Reply done = waiter.get();
  EXPECT_EQ(done.body["done"], true);
  EXPECT_EQ(done.body["operation"]["status"], "Succeeded");
  std::filesystem::remove_all(dir);
}
#endif

}  // namespace
}  // namespace opsd_test
