// Several processes on one PostgreSQL database, and a server restart under load.
//
// The children are tests/postgres/postgres_worker (its header describes the
// protocol). Nothing here sleeps to wait: parent and children synchronise over
// pipes, and the parent's reader threads hand lines over through a condition
// variable (waits are bounded by a deadline, so a hang fails instead of blocking).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "pg_test_support.hpp"

namespace incursa::platform::testing {
namespace {

using namespace std::chrono_literals;
using S = OperationStatus;

const std::string kWorker = INCURSA_PG_WORKER;

class PgProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    INCURSA_REQUIRE_PG_SERVER();
    schema_ = unique_schema("proc");
    uri_ = with_schema(*server_uri(), schema_);
  }

  std::shared_ptr<PostgresStore> open() { return PostgresStore::open_uri(uri_); }

  std::string schema_;
  std::string uri_;
};

std::string expect_line(Child& child, const std::string& prefix) {
  const auto line = child.read_line();
  EXPECT_TRUE(line.has_value()) << "worker " << child.pid() << " closed its output";
  if (!line) return {};
  EXPECT_EQ(line->rfind(prefix, 0), 0U) << "worker said: " << *line;
  return *line;
}

int number_after(const std::string& line, char sep) {
  return std::stoi(line.substr(line.find(sep) + 1));
}

bool exited_cleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

TEST_F(PgProcesses, ThreeProcessesOpeningANewSchemaAtOnceMigrateItOnce) {
  for (int round = 0; round < 5; ++round) {
    const std::string uri = with_schema(*server_uri(), unique_schema("mig"));
    std::vector<std::unique_ptr<Child>> children;
    for (int i = 0; i < 3; ++i) {
      children.push_back(std::make_unique<Child>(kWorker, std::vector<std::string>{"open", uri}));
    }
    for (auto& c : children) expect_line(*c, "ready");
    for (auto& c : children) c->write_line("go");
    const std::string expected = "opened " + std::to_string(PostgresStore::latest_schema_version());
    for (auto& c : children) EXPECT_EQ(expect_line(*c, "opened"), expected);
    for (auto& c : children) EXPECT_TRUE(exited_cleanly(c->wait()));
    const std::string schema = uri.substr(uri.find("schema=") + 7);
    RawPg raw;
    // One row per version: a second migration would have failed on the primary key
    // or left two rows.
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM \"" + schema + "\".schema_migrations"),
              PostgresStore::latest_schema_version());
    EXPECT_EQ(
        raw.scalar("SELECT count(DISTINCT version) FROM \"" + schema + "\".schema_migrations"),
        PostgresStore::latest_schema_version());
  }
}

// 3 processes x 2 threads hammer shared operations while 2 monitor processes race
// to mark the stale ones: every write lands exactly once, every stale operation
// is marked exactly once, and an operation that shows activity during the race
// is never left Stalled.
TEST_F(PgProcesses, HammeringWritersAndRacingStallMonitorsLoseNothingAndMarkOnce) {
  constexpr int kProcesses = 3;
  constexpr int kThreads = 2;
  constexpr int kIterations = 30;
  constexpr int kHot = 4;
  constexpr int kStale = 60;
  auto store = open();
  std::vector<OperationId> hot;
  std::vector<OperationId> stale;
  std::vector<OperationId> contested;
  {
    Tracker now_tracker(store);
    for (int i = 0; i < kHot; ++i) {
      const auto id = now_tracker.start("Hammer.Hot").id;
      now_tracker.heartbeat(id);  // Running: version 2, events 2
      hot.push_back(id);
    }
    // Two hours old, by a tracker whose clock says so.
    auto past = std::make_shared<ManualClock>(std::chrono::system_clock::now() - 2h);
    Tracker old_tracker(store, TrackerOptions{past});
    for (int i = 0; i < kStale; ++i) {
      const auto id = old_tracker.start("Hammer.Stale").id;
      if (i % 2 == 1) old_tracker.heartbeat(id);
      stale.push_back(id);
    }
    for (int i = 0; i < kProcesses * kThreads; ++i) {
      const auto id = old_tracker.start("Hammer.Contested").id;
      old_tracker.heartbeat(id);
      contested.push_back(id);
    }
  }
  auto join = [](const std::vector<OperationId>& ids, std::size_t from, std::size_t n) {
    std::string out;
    for (std::size_t i = from; i < from + n && i < ids.size(); ++i) {
      out += (out.empty() ? "" : ",") + ids[i].value();
    }
    return out;
  };

  std::vector<std::unique_ptr<Child>> writers;
  for (int p = 0; p < kProcesses; ++p) {
    writers.push_back(std::make_unique<Child>(
        kWorker,
        std::vector<std::string>{"hammer", uri_, std::to_string(kThreads),
                                 std::to_string(kIterations), join(hot, 0, hot.size()),
                                 join(contested, static_cast<std::size_t>(p * kThreads), kThreads),
                                 "p" + std::to_string(p)}));
  }
  std::vector<std::unique_ptr<Child>> monitors;
  for (int m = 0; m < 2; ++m) {
    monitors.push_back(
        std::make_unique<Child>(kWorker, std::vector<std::string>{"monitor", uri_, "3600"}));
  }
  for (auto& w : writers) expect_line(*w, "ready");
  for (auto& m : monitors) expect_line(*m, "ready");
  for (auto& w : writers) w->write_line("go");
  for (auto& m : monitors) m->write_line("go");

  int marked = 0;
  for (auto& m : monitors) {
    marked += number_after(expect_line(*m, "done"), '=');
    EXPECT_TRUE(exited_cleanly(m->wait()));
  }
  for (auto& w : writers) expect_line(*w, "phase1");

  // Writes: exact counts and every message once.
  const std::int64_t writes_per_op = std::int64_t{kProcesses} * kThreads * kIterations;
  for (const auto& id : hot) {
    const auto s = store->get(id);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->version, 2 + 3 * writes_per_op);
    EXPECT_EQ(s->status, S::Running);
    EXPECT_EQ(s->stall_count, 0);
    const auto events = store->events(id, 0, 100000);
    ASSERT_EQ(static_cast<std::int64_t>(events.size()), 2 + writes_per_op);
    std::multiset<std::string> messages;
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].sequence, static_cast<std::int64_t>(i) + 1);
      if (events[i].kind == "hammer") messages.insert(events[i].message.value_or(""));
    }
    std::multiset<std::string> expected;
    for (int p = 0; p < kProcesses; ++p) {
      for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kIterations; ++i) {
          expected.insert("p" + std::to_string(p) + "." + std::to_string(t) + "." +
                          std::to_string(i));
        }
      }
    }
    EXPECT_EQ(messages, expected);
  }

  // Marks: each stale operation once, by exactly one monitor.
  auto stalled_events = [&](const OperationId& id) {
    int n = 0;
    for (const auto& e : store->events(id, 0, 1000)) {
      n += e.kind == "status" && e.message && e.message->ends_with("-> Stalled");
    }
    return n;
  };
  int stalled_total = 0;
  for (const auto& id : stale) {
    const auto s = store->get(id);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->status, S::Stalled);
    EXPECT_EQ(s->stall_count, 1);
    EXPECT_EQ(stalled_events(id), 1);
    stalled_total += static_cast<int>(s->stall_count);
  }
  for (const auto& id : contested) {
    const auto s = store->get(id);
    ASSERT_TRUE(s.has_value());
    // Marked before its heartbeat (then resumed) or not at all; never left Stalled.
    EXPECT_EQ(s->status, S::Running);
    EXPECT_LE(s->stall_count, 1);
    EXPECT_EQ(stalled_events(id), s->stall_count);
    stalled_total += static_cast<int>(s->stall_count);
  }
  EXPECT_EQ(marked, stalled_total) << "a mark was reported twice or not at all";

  for (auto& w : writers) w->write_line("go");
  int rejected = 0;
  for (auto& w : writers) {
    rejected += number_after(expect_line(*w, "done"), '=');
    EXPECT_TRUE(exited_cleanly(w->wait()));
  }
  // Six completers per operation, three per status: the winner's three succeed
  // (one writes, two are no-ops), the other three are rejected.
  EXPECT_EQ(rejected, 3 * kHot);
  for (const auto& id : hot) {
    const auto s = store->get(id);
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE(s->terminal());
    EXPECT_EQ(s->version, 3 + 3 * writes_per_op);
    int terminal_events = 0;
    for (const auto& e : store->events(id, 0, 100000)) {
      terminal_events += e.kind == "status" && e.message && e.message->starts_with("Running -> ");
    }
    EXPECT_EQ(terminal_events, 1);
  }
}

TEST_F(PgProcesses, TwoProcessesRacingStartWithOneCallerIdCreateOneOperation) {
  constexpr int kRounds = 40;
  auto store = open();
  Child a(kWorker, {"start", uri_, std::to_string(kRounds)});
  Child b(kWorker, {"start", uri_, std::to_string(kRounds)});
  expect_line(a, "ready");
  expect_line(b, "ready");
  for (int r = 0; r < kRounds; ++r) {
    const std::string id = "race-" + std::to_string(r);
    a.write_line("go " + id);
    b.write_line("go " + id);
    const std::string la = expect_line(a, "started");
    const std::string lb = expect_line(b, "started");
    // Both got the one operation: the same started_at, version 1.
    EXPECT_EQ(la, lb) << "round " << r;
    const auto events = store->events(OperationId::parse(id), 0, 100);
    EXPECT_EQ(events.size(), 1U) << "round " << r;
    EXPECT_EQ(store->get(OperationId::parse(id))->version, 1);
  }
  EXPECT_TRUE(exited_cleanly(a.wait()));
  EXPECT_TRUE(exited_cleanly(b.wait()));
  RawPg raw;
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM \"" + schema_ + "\".operations"), kRounds);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM \"" + schema_ + "\".events"), kRounds);
}

// Lines from several children, collected by one reader thread per child.
class Collector {
 public:
  void attach(Child& child, int index) {
    threads_.emplace_back([this, &child, index] {
      while (auto line = child.read_line()) {
        std::lock_guard lock(mutex_);
        lines_[index].push_back(*line);
        if (line->starts_with("E ") || line->starts_with("W ")) ++acks_[index];
        changed_.notify_all();
      }
      std::lock_guard lock(mutex_);
      closed_.insert(index);
      changed_.notify_all();
    });
  }
  ~Collector() {
    for (auto& t : threads_) t.join();
  }
  // Waits until every child has at least `n` acknowledged writes; false on timeout
  // or when a child closed its output first.
  bool wait_for_acks(int children, int n, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (int i = 0; i < children; ++i) {
        if (closed_.contains(i)) return true;
        if (acks_[i] < n) return false;
      }
      return true;
    }) && closed_.empty();
  }
  // Waits until the reader of every child has seen the end of its output (the
  // child exited and every line it wrote is in lines()); false on timeout.
  bool wait_until_closed(int children, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return static_cast<int>(closed_.size()) >= children; });
  }
  int acks(int index) {
    std::lock_guard lock(mutex_);
    return acks_[index];
  }
  std::vector<std::string> lines(int index) {
    std::lock_guard lock(mutex_);
    return lines_[index];
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int, std::vector<std::string>> lines_;
  std::map<int, int> acks_;
  std::set<int> closed_;
  std::vector<std::thread> threads_;
};

// The server restarts (pg_ctl restart -m fast) while 2 processes x 2 threads
// write: callers see success or a retryable StoreError, every acknowledged write
// is there afterwards, nothing is doubled, and the stores (in the children and
// here) carry on without being reopened.
TEST_F(PgProcesses, ServerRestartMidRunLosesNothingAcknowledgedAndStoresRecover) {
  if (server_state_dir().empty()) GTEST_SKIP() << "needs the CTest fixture's server to restart";
  constexpr int kWriters = 2;
  auto store = open();
  const OperationId mine = Tracker(store).start("Restart.Parent").id;

  std::vector<std::unique_ptr<Child>> writers;
  for (int p = 0; p < kWriters; ++p) {
    writers.push_back(std::make_unique<Child>(
        kWorker, std::vector<std::string>{"writer", uri_, "2", "p" + std::to_string(p)}));
  }
  for (auto& w : writers) expect_line(*w, "ready");
  std::vector<int> acks_before(kWriters);
  {
    Collector collector;
    for (int p = 0; p < kWriters; ++p) collector.attach(*writers[static_cast<std::size_t>(p)], p);
    // On an early return the children must die before ~Collector joins its readers.
    struct KillOnExit {
      std::vector<std::unique_ptr<Child>>& children;
      ~KillOnExit() {
        for (auto& c : children) c->kill_hard();
      }
    } kill_on_exit{writers};
    for (auto& w : writers) w->write_line("go");

    ASSERT_TRUE(collector.wait_for_acks(kWriters, 200, 120s)) << "writers did not get going";
    ASSERT_EQ(run_server_script("restart"), 0) << "pg_ctl restart failed";
    for (int p = 0; p < kWriters; ++p) acks_before[static_cast<std::size_t>(p)] = collector.acks(p);
    const int target = *std::max_element(acks_before.begin(), acks_before.end()) + 200;
    EXPECT_TRUE(collector.wait_for_acks(kWriters, target, 120s))
        << "writers did not recover after the restart";

    // This process's store was open across the restart too.
    EXPECT_EQ(store->get(mine)->version, 1);
    for (auto& w : writers) w->write_line("stop");
    for (auto& w : writers) EXPECT_TRUE(exited_cleanly(w->wait()));
    // A child's exit does not mean its reader has read the last line yet.
    ASSERT_TRUE(collector.wait_until_closed(kWriters, 60s)) << "a writer's output never ended";
    for (int p = 0; p < kWriters; ++p) {
      SCOPED_TRACE("writer " + std::to_string(p));
      const auto lines = collector.lines(p);
      ASSERT_FALSE(lines.empty());
      EXPECT_EQ(lines.back(), "done");

      std::map<std::string, std::int64_t> max_version;
      std::map<std::string, std::map<std::int64_t, std::string>> acked_events;
      int retryable = 0;
      for (const std::string& line : lines) {
        const auto w = split(line, ' ');
        ASSERT_FALSE(w.empty());
        if (w[0] == "X" || w[0] == "error") ADD_FAILURE() << "non-retryable: " << line;
        if (w[0] == "R") ++retryable;
        if (w[0] == "W")
          max_version[w[1]] = std::max<std::int64_t>(max_version[w[1]], std::stoll(w[2]));
        if (w[0] == "E") acked_events[w[1]][std::stoll(w[2])] = w[3] + " " + w[4];
      }
      std::cout << "writer " << p << ": " << acked_events.size() << " operations, "
                << collector.acks(p) << " acknowledged writes, " << retryable
                << " retryable errors surfaced\n";
      for (const auto& [id_text, acked] : acked_events) {
        const OperationId id = OperationId::parse(id_text);
        const auto s = store->get(id);
        ASSERT_TRUE(s.has_value());
        EXPECT_GE(s->version, max_version[id_text]);
        const auto events = store->events(id, 0, 100000);
        std::map<std::int64_t, std::string> stored;
        std::multiset<std::string> messages;
        for (std::size_t i = 0; i < events.size(); ++i) {
          EXPECT_EQ(events[i].sequence, static_cast<std::int64_t>(i) + 1);
          stored[events[i].sequence] = events[i].key + " " + events[i].message.value_or("");
          if (events[i].kind == "w") messages.insert(events[i].message.value_or(""));
        }
        for (const auto& [sequence, key_and_message] : acked) {
          EXPECT_EQ(stored[sequence], key_and_message) << "acknowledged event lost or moved";
        }
        for (const auto& m : messages) EXPECT_EQ(messages.count(m), 1U) << "doubled: " << m;
      }
    }
  }
  const auto stats = store->stats();
  EXPECT_GE(stats.connections_opened, 2U) << "the parent's store reconnected after the restart";
}

}  // namespace
}  // namespace incursa::platform::testing
