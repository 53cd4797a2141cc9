// Several processes on one SQLite file, and writers killed with SIGKILL.
//
// The children are tests/sqlite/sqlite_worker (see its header for the protocol).
// Nothing here sleeps to wait: the parent and children synchronise over pipes,
// and a child is killed after a random number of acknowledged writes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "incursa/platform/operations/tracker.hpp"
#include "sqlite_test_support.hpp"

namespace incursa::platform::testing {
namespace {

const std::string kWorker = INCURSA_SQLITE_WORKER;

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

std::string expect_line(Child& child, const std::string& prefix) {
  const auto line = child.read_line();
  EXPECT_TRUE(line.has_value()) << "worker " << child.pid() << " closed its output";
  if (!line) return {};
  EXPECT_EQ(line->rfind(prefix, 0), 0U) << "worker said: " << *line;
  return *line;
}

TEST(SqliteProcesses, TwoProcessesOpeningANewFileAtOnceBothSucceed) {
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    const std::string path = dir.file("new.db");
    Child a(kWorker, {"open", path});
    Child b(kWorker, {"open", path});
    expect_line(a, "ready");
    expect_line(b, "ready");
    a.write_line("go");
    b.write_line("go");
    const std::string expected = "opened " + std::to_string(SqliteStore::latest_schema_version());
    EXPECT_EQ(expect_line(a, "opened"), expected);
    EXPECT_EQ(expect_line(b, "opened"), expected);
    EXPECT_EQ(a.wait(), 0);
    EXPECT_EQ(b.wait(), 0);
    RawDb raw(path);
    // The migration ran once: one row per migration, not two.
    EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM schema_version"),
              SqliteStore::latest_schema_version());
    EXPECT_EQ(raw.column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  }
}

// Two processes x two threads on the same operations: every write lands exactly
// once, no error (a "database is locked" included) reaches a caller, and the
// racing completes leave one winner per operation.
TEST(SqliteProcesses, TwoProcessesTimesTwoThreadsLoseNoUpdate) {
  constexpr int kProcesses = 2;
  constexpr int kThreads = 2;
  constexpr int kIterations = 40;
  constexpr int kOperations = 4;
  TempDir dir;
  const std::string path = dir.file("shared.db");

  std::vector<OperationId> ids;
  std::string id_list;
  {
    Tracker tracker(SqliteStore::open_uri("sqlite:" + path));
    for (int i = 0; i < kOperations; ++i) {
      const auto s = tracker.start("Hammer.Op");
      tracker.update_progress(s.id, ProgressUpdate{.percent = 0.0});  // Running: v2, 2 events
      ids.push_back(s.id);
      id_list += (i == 0 ? "" : ",") + s.id.value();
    }
  }

  std::vector<std::unique_ptr<Child>> workers;
  for (int p = 0; p < kProcesses; ++p) {
    workers.push_back(std::make_unique<Child>(
        kWorker,
        std::vector<std::string>{"hammer", path, std::to_string(kThreads),
                                 std::to_string(kIterations), id_list, "p" + std::to_string(p)}));
  }
  for (auto& w : workers) expect_line(*w, "ready");
  for (auto& w : workers) w->write_line("go");
  for (auto& w : workers) expect_line(*w, "phase1");

  // Between the phases: exact counts, and every event each thread wrote.
  auto store = SqliteStore::open_uri("sqlite:" + path);
  const std::int64_t writes_per_op = std::int64_t{kProcesses} * kThreads * kIterations;
  for (const auto& id : ids) {
    const auto s = store->get(id);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->version, 2 + 3 * writes_per_op);
    EXPECT_EQ(s->status, OperationStatus::Running);
    const auto events = store->events(id, 0, 100000);
    ASSERT_EQ(static_cast<std::int64_t>(events.size()), 2 + writes_per_op);
    std::set<std::string> messages;
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].sequence, static_cast<std::int64_t>(i) + 1);
      if (events[i].kind == "hammer") messages.insert(events[i].message.value_or(""));
    }
    std::set<std::string> expected;
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

  for (auto& w : workers) w->write_line("go");
  int rejected = 0;
  for (auto& w : workers) {
    const auto done = words(expect_line(*w, "done"));
    ASSERT_EQ(done.size(), 2U);
    rejected += std::stoi(done[1].substr(done[1].find('=') + 1));
    const int status = w->wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  // Four completers per operation, two asking Succeeded and two Failed: the two
  // asking for the winner's status are no-ops, the other two are rejected.
  EXPECT_EQ(rejected, 2 * kOperations);
  for (const auto& id : ids) {
    const auto s = store->get(id);
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE(s->terminal());
    EXPECT_EQ(s->version, 3 + 3 * writes_per_op);
    const auto events = store->events(id, 0, 100000);
    ASSERT_EQ(static_cast<std::int64_t>(events.size()), 3 + writes_per_op);
    int terminal_events = 0;
    for (const auto& e : events) {
      if (e.kind == "status" && e.message && e.message->starts_with("Running -> ")) {
        ++terminal_events;
        EXPECT_EQ(*e.message, "Running -> " + std::string(to_string(s->status)));
      }
    }
    EXPECT_EQ(terminal_events, 1);
  }
  EXPECT_EQ(store->integrity_check(), "ok");
}

// What the parent learnt from one crash child's acknowledgements.
struct Acknowledged {
  std::map<std::string, std::int64_t> version;                        // id -> highest version
  std::map<std::string, std::map<std::int64_t, std::string>> events;  // id -> seq -> key
  std::size_t writes = 0;

  void record(const std::string& line) {
    const auto w = words(line);
    if (w.empty()) return;
    if (w[0] == "S" && w.size() == 2) {
      version[w[1]] = std::max<std::int64_t>(version[w[1]], 1);
      ++writes;
    } else if (w[0] == "W" && w.size() == 3) {
      version[w[1]] = std::max<std::int64_t>(version[w[1]], std::stoll(w[2]));
      ++writes;
    } else if (w[0] == "E" && w.size() == 4) {
      events[w[1]][std::stoll(w[2])] = w[3];
    } else {
      ADD_FAILURE() << "unexpected line from the worker: " << line;
    }
  }
};

// The invariants of a whole operation; any half-applied write breaks one of them.
void expect_operation_whole(SqliteStore& store, const OperationSnapshot& s) {
  SCOPED_TRACE("operation " + s.id.value());
  const auto events = store.events(s.id, 0, 100000);
  // The worker's writes each append exactly one event.
  ASSERT_EQ(static_cast<std::int64_t>(events.size()), s.version);
  std::string status = "Pending";
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence, static_cast<std::int64_t>(i) + 1);
    if (i == 0) {
      EXPECT_EQ(events[i].kind, "status");
      EXPECT_EQ(events[i].message, "Pending");
    } else if (events[i].kind == "status") {
      const std::string& message = events[i].message.value_or("");
      EXPECT_EQ(message.rfind(status + " -> ", 0), 0U) << message;
      status = message.substr(message.find("-> ") + 3);
    }
  }
  EXPECT_EQ(status, to_string(s.status));
  EXPECT_EQ(s.completed_at.has_value(), s.terminal());
  if (s.terminal()) {
    EXPECT_EQ(events.back().kind, "status");
    EXPECT_EQ(events.back().occurred_at, *s.completed_at);
  }
  if (s.cancel_requested()) {
    bool found = false;
    for (const auto& e : events) found = found || e.kind == "cancel_requested";
    EXPECT_TRUE(found);
  }
}

TEST(SqliteProcesses, KilledWriterLosesNoAcknowledgedWriteAndLeavesNothingHalfWritten) {
  constexpr int kKills = 20;
  TempDir dir;
  const std::string path = dir.file("crash.db");
  std::random_device seed_source;
  const unsigned base_seed = seed_source();
  std::mt19937 rng(base_seed);
  SCOPED_TRACE("base seed " + std::to_string(base_seed));
  Acknowledged acked;
  std::size_t total_writes = 0;

  for (int kill = 0; kill < kKills; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill));
    const std::size_t target = 1 + rng() % 400;  // acknowledged writes before the kill
    {
      Child child(kWorker, {"crash", path, std::to_string(rng())});
      expect_line(child, "ready");
      std::size_t seen = 0;
      while (seen < target) {
        const auto line = child.read_line();
        ASSERT_TRUE(line.has_value()) << "the worker stopped early";
        acked.record(*line);
        if (!line->starts_with("E ")) ++seen;
      }
      child.kill_hard();
      const int status = child.wait();
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
      // Lines the child wrote before it died were acknowledged writes too.
      while (const auto line = child.read_line()) acked.record(*line);
    }
    total_writes = acked.writes;

    auto store = SqliteStore::open_uri("sqlite:" + path);
    ASSERT_EQ(store->integrity_check(), "ok");
    {
      RawDb raw(path);
      EXPECT_EQ(raw.column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
      EXPECT_EQ(raw.column("PRAGMA foreign_key_check"), std::vector<std::string>{});
      // The row's sequence counter agrees with the events table for every operation.
      EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operations o WHERE o.last_sequence <> "
                           "(SELECT COUNT(*) FROM operation_events e WHERE e.operation_id = o.id)"),
                0);
      EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operation_events e WHERE NOT EXISTS "
                           "(SELECT 1 FROM operations o WHERE o.id = e.operation_id)"),
                0);
    }
    std::vector<std::string> all_ids;
    {
      RawDb raw(path);
      all_ids = raw.column("SELECT id FROM operations ORDER BY id");
    }
    for (const auto& id : all_ids) {
      const auto s = store->get(OperationId::parse(id));
      ASSERT_TRUE(s.has_value());
      expect_operation_whole(*store, *s);
    }
    for (const auto& [id, version] : acked.version) {
      const auto s = store->get(OperationId::parse(id));
      ASSERT_TRUE(s.has_value()) << "acknowledged operation " << id << " is missing";
      // Each child writes only the operations it started, one write at a time: the
      // file holds every acknowledged write, plus at most the one in flight.
      EXPECT_GE(s->version, version) << id;
      EXPECT_LE(s->version, version + 1) << id;
    }
    for (const auto& [id, by_sequence] : acked.events) {
      const auto events = store->events(OperationId::parse(id), 0, 100000);
      for (const auto& [sequence, key] : by_sequence) {
        ASSERT_GE(static_cast<std::int64_t>(events.size()), sequence) << id;
        EXPECT_EQ(events[static_cast<std::size_t>(sequence - 1)].key, key) << id;
      }
    }
  }
  RecordProperty("acknowledged_writes", static_cast<int>(total_writes));
  EXPECT_GE(total_writes, static_cast<std::size_t>(kKills));
}

}  // namespace
}  // namespace incursa::platform::testing
