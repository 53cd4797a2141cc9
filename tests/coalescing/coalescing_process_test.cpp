// kill -9 proof for CoalescingTracker: a child (tests/coalescing/coalescing_worker,
// see its header for the protocol) writes to a SQLite file through the decorator
// and acknowledges every call on a pipe; the parent SIGKILLs it at a random point
// and checks the file:
//   - every acknowledged start, event, cancel and completion is there;
//   - a completed operation holds its last acknowledged progress (progress is
//     written before the completion);
//   - for the others, the stored progress is an acknowledged one (or the one in
//     flight), and every acknowledged update missing from the file was
//     acknowledged less than one window before the flusher's last finished pass:
//     progress lost <= one window. The flusher reports its passes with the clock
//     time each started; the child's clock is the same system clock.
// Nothing sleeps: the parent reads the child's lines and kills after a random
// number of them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "incursa/platform/stores/sqlite_store.hpp"
#include "sqlite_test_support.hpp"

namespace incursa::platform::testing {
namespace {

const std::string kWorker = INCURSA_COALESCING_WORKER;
constexpr int kWindowMs = 20;
constexpr std::int64_t kWindowNs = std::int64_t{kWindowMs} * 1'000'000;

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

// What one child acknowledged before it died.
struct Round {
  std::set<std::string> started;
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> progress;  // n, ns
  std::map<std::string, std::vector<std::pair<std::int64_t, std::string>>> events;     // seq, key
  std::set<std::string> canceled;
  std::map<std::string, std::pair<std::string, std::int64_t>> completed;  // status, last n
  std::optional<std::int64_t> last_pass;                                  // ns
  std::size_t passes = 0;
  std::size_t calls = 0;
  std::vector<std::string> dropped;

  void record(const std::string& line) {
    const auto w = words(line);
    ASSERT_FALSE(w.empty());
    if (w[0] == "F" && w.size() == 2) {
      const std::int64_t at = std::stoll(w[1]);
      last_pass = last_pass ? std::max(*last_pass, at) : at;
      ++passes;
      return;
    }
    if (w[0] == "X") {
      dropped.push_back(line);
      return;
    }
    ++calls;
    if (w[0] == "S" && w.size() == 2) {
      started.insert(w[1]);
    } else if (w[0] == "P" && w.size() == 4) {
      progress[w[1]].emplace_back(std::stoll(w[2]), std::stoll(w[3]));
    } else if (w[0] == "E" && w.size() == 4) {
      events[w[1]].emplace_back(std::stoll(w[2]), w[3]);
    } else if (w[0] == "H" && w.size() == 2) {
    } else if (w[0] == "C" && w.size() == 2) {
      canceled.insert(w[1]);
    } else if (w[0] == "D" && w.size() == 4) {
      completed[w[1]] = {w[2], std::stoll(w[3])};
    } else {
      ADD_FAILURE() << "unexpected line from the worker: " << line;
    }
  }
};

std::int64_t current_of(const OperationSnapshot& s) { return s.progress ? s.progress->current : 0; }

TEST(CoalescingCrash, KillNineLosesAtMostOneWindowOfProgressAndNeverAStatusOrEvent) {
  constexpr int kKills = 6;
  TempDir dir;
  const std::string path = dir.file("coalesce.db");
  std::random_device seed_source;
  const unsigned base_seed = seed_source();
  std::mt19937 rng(base_seed);
  SCOPED_TRACE("base seed " + std::to_string(base_seed));
  std::size_t total_lost = 0;
  std::size_t total_progress = 0;

  for (int kill = 0; kill < kKills; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill));
    const std::size_t target_calls = 100 + rng() % 2000;
    const std::size_t target_passes = 1 + rng() % 10;
    Round round;
    {
      Child child(kWorker, {path, std::to_string(rng()), std::to_string(kWindowMs)});
      const auto ready = child.read_line();
      ASSERT_TRUE(ready.has_value());
      ASSERT_EQ(*ready, "ready");
      while (round.calls < target_calls || round.passes < target_passes) {
        const auto line = child.read_line();
        ASSERT_TRUE(line.has_value()) << "the worker stopped early";
        round.record(*line);
      }
      child.kill_hard();
      const int status = child.wait();
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
      // Lines written before it died were acknowledged too.
      while (const auto line = child.read_line()) round.record(*line);
    }
    EXPECT_TRUE(round.dropped.empty()) << round.dropped.front();
    ASSERT_TRUE(round.last_pass.has_value());

    auto store = SqliteStore::open_uri("sqlite:" + path);
    ASSERT_EQ(store->integrity_check(), "ok");

    std::int64_t writes = 0;
    for (const auto& id : round.started) {
      const auto s = store->get(OperationId::parse(id));
      ASSERT_TRUE(s.has_value()) << "acknowledged start " << id << " is missing";
      writes += s->version;
    }
    for (const auto& [id, acked] : round.events) {
      const auto events = store->events(OperationId::parse(id), 0, 100000);
      for (const auto& [sequence, key] : acked) {
        ASSERT_GE(static_cast<std::int64_t>(events.size()), sequence) << id;
        EXPECT_EQ(events[static_cast<std::size_t>(sequence - 1)].key, key) << id;
      }
    }
    for (const auto& id : round.canceled) {
      const auto s = store->get(OperationId::parse(id));
      ASSERT_TRUE(s.has_value());
      EXPECT_TRUE(s->cancel_requested()) << "acknowledged cancel of " << id << " is missing";
    }
    for (const auto& [id, done] : round.completed) {
      const auto s = store->get(OperationId::parse(id));
      ASSERT_TRUE(s.has_value());
      EXPECT_EQ(std::string(to_string(s->status)), done.first) << id;
      EXPECT_EQ(current_of(*s), done.second) << "completion of " << id << " lost progress";
    }
    for (const auto& [id, acked] : round.progress) {
      total_progress += acked.size();
      if (round.completed.count(id)) continue;
      SCOPED_TRACE("operation " + id);
      const auto s = store->get(OperationId::parse(id));
      ASSERT_TRUE(s.has_value());
      const std::int64_t stored = current_of(*s);
      // An acknowledged value, or the one call in flight when the child died.
      EXPECT_LE(stored, acked.back().first + 1);
      if (s->percent) {
        EXPECT_EQ(*s->percent, static_cast<double>(stored % 100));
      }
      for (const auto& [n, acknowledged_ns] : acked) {
        if (n <= stored) continue;
        ++total_lost;
        // Lost: it must have been inside the window still open at the last pass.
        EXPECT_GT(acknowledged_ns + kWindowNs, *round.last_pass)
            << "progress " << n << " acknowledged " << (*round.last_pass - acknowledged_ns) / 1000
            << " us before a finished pass";
      }
    }
    // Coalescing took place: fewer writes than acknowledged calls.
    EXPECT_LT(writes, static_cast<std::int64_t>(round.calls));
  }
  RecordProperty("acknowledged_progress", static_cast<int>(total_progress));
  RecordProperty("lost_progress_inside_last_window", static_cast<int>(total_lost));
}

}  // namespace
}  // namespace incursa::platform::testing
