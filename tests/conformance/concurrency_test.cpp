// Races between threads on one store: nothing lost, nothing doubled, one winner.
#include <atomic>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/stall_monitor.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;
using namespace std::chrono_literals;

// Runs fn(thread_index) on `n` threads released together.
template <class Fn>
void run_together(int n, Fn fn) {
  std::latch go(n);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n));
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      go.arrive_and_wait();
      fn(t);
    });
  }
  for (auto& thread : threads) thread.join();
}

TEST_P(StoreConcurrency, EightThreadsTimesAThousandUpdatesLoseNone) {
  const OperationId id = start();
  constexpr int kThreads = 8;
  constexpr int kCalls = 1000;  // per thread: half progress updates, half events
  run_together(kThreads, [&](int t) {
    for (int i = 0; i < kCalls; ++i) {
      if (i % 2 == 0) {
        tracker->update_progress(id, {.percent = (i % 100) * 1.0});
      } else {
        tracker->add_event(id, "tick", "t" + std::to_string(t) + "-" + std::to_string(i));
      }
    }
  });
  const OperationSnapshot s = *tracker->get_snapshot(id);
  EXPECT_EQ(s.version, 1 + kThreads * kCalls);
  EXPECT_EQ(s.status, S::Running);
  const auto events = tracker->events(id, 0, 10000);
  // created + one Pending -> Running + every add_event
  ASSERT_EQ(events.size(), static_cast<std::size_t>(2 + kThreads * kCalls / 2));
  for (std::size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].sequence, static_cast<std::int64_t>(i) + 1);
  }
  EXPECT_EQ(events[1].message, "Pending -> Running");
}

// A redelivery racing the purge of its operation either finds the operation
// (before the purge) or its tombstone (after): never a fresh operation that
// inherits the kept events.
TEST_P(StoreConcurrency, AStartRacingThePurgeOfItsIdNeverStartsAfresh) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  constexpr int kRounds = 50;
  std::vector<OperationId> ids;
  for (int i = 0; i < kRounds; ++i) {
    ids.push_back(OperationId::parse("race-" + std::to_string(i)));
    tracker->start("Webhook.Process", {.id = ids.back()});
    tracker->complete(ids.back(), S::Succeeded);
  }
  clock->advance(2h);
  PurgeRequest request;
  request.succeeded_before = clock->now() - 1h;
  request.now = clock->now();
  for (const OperationId& id : ids) {
    std::atomic<bool> refused{false};
    run_together(2, [&](int t) {
      if (t == 0) {
        EXPECT_EQ(retention->delete_operations({id}, request).size(), 1U);
        return;
      }
      try {
        EXPECT_EQ(tracker->start("Webhook.Process", {.id = id}).status, S::Succeeded);
      } catch (const OperationPurgedError&) {
        refused = true;
      }
    });
    SCOPED_TRACE(id.value() + (refused ? " (refused)" : " (found before the purge)"));
    EXPECT_FALSE(tracker->get_snapshot(id).has_value());
    EXPECT_EQ(tracker->events(id).size(), 2U);
    EXPECT_TRUE(retention->find_purged(id).has_value());
  }
}

TEST_P(StoreConcurrency, FourThreadsRacingMarkStalledMarkEachOperationOnce) {
  std::vector<OperationId> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(i % 2 == 0 ? start() : start_in(S::Running));
  clock->advance(1h);
  const StaleCondition cutoff{ActivityBasis::Activity, clock->now() - 30min};
  std::atomic<int> marked{0};
  run_together(4, [&](int t) {
    // Each thread walks the list from a different place, so they collide everywhere.
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const OperationId& id = ids[(k + static_cast<std::size_t>(t) * 25) % ids.size()];
      if (tracker->mark_stalled(id, cutoff)) marked.fetch_add(1);
    }
  });
  EXPECT_EQ(marked.load(), 100);
  for (const OperationId& id : ids) {
    const OperationSnapshot s = *tracker->get_snapshot(id);
    EXPECT_EQ(s.status, S::Stalled);
    EXPECT_EQ(s.stall_count, 1);
    int stall_events = 0;
    for (const auto& e : tracker->events(id)) stall_events += e.message->ends_with("-> Stalled");
    EXPECT_EQ(stall_events, 1);
  }
  EXPECT_TRUE(tracker->find_stalled({.threshold = 30min}).empty());
}

TEST_P(StoreConcurrency, FourThreadsRacingCompleteLeaveOneWinner) {
  constexpr std::array<S, 4> kWanted{S::Succeeded, S::Failed, S::Canceled, S::Failed};
  for (int round = 0; round < 25; ++round) {
    const OperationId id = start_in(round % 2 == 0 ? S::Running : S::Pending);
    std::array<bool, 4> ok{};
    run_together(4, [&](int t) {
      try {
        tracker->complete(id, kWanted[static_cast<std::size_t>(t)]);
        ok[static_cast<std::size_t>(t)] = true;
      } catch (const InvalidTransitionError&) {
      }
    });
    const OperationSnapshot s = *tracker->get_snapshot(id);
    ASSERT_TRUE(is_terminal(s.status));
    for (std::size_t t = 0; t < kWanted.size(); ++t) {
      // Whoever asked for the final status succeeded (winner or no-op); the rest were refused.
      EXPECT_EQ(ok[t], kWanted[t] == s.status) << "thread " << t;
    }
    int terminal_events = 0;
    for (const auto& e : tracker->events(id)) {
      terminal_events +=
          e.kind == "status" && e.message->ends_with(std::string(to_string(s.status)));
    }
    EXPECT_EQ(terminal_events, 1);
    EXPECT_EQ(s.version, round % 2 == 0 ? 3 : 2);
  }
}

TEST_P(StoreConcurrency, RacingStartsWithOneIdCreateOneOperation) {
  StartOptions options;
  options.id = OperationId::parse("same-webhook");
  std::atomic<int> conflicts{0};
  run_together(8, [&](int t) {
    try {
      tracker->start(t % 2 == 0 ? "Webhook.Process" : "Other.Name", options);
    } catch (const ConflictError&) {
      conflicts.fetch_add(1);
    }
  });
  const OperationSnapshot s = *tracker->get_snapshot(*options.id);
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(tracker->events(s.id).size(), 1u);
  EXPECT_EQ(conflicts.load(), 4);  // the four that asked for the losing name
}

TEST_P(StoreConcurrency, WritersToDifferentOperationsDoNotInterfere) {
  std::vector<OperationId> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(start());
  run_together(8, [&](int t) {
    for (int i = 0; i < 200; ++i) tracker->add_event(ids[static_cast<std::size_t>(t)], "e");
    tracker->complete(ids[static_cast<std::size_t>(t)], S::Succeeded);
  });
  for (const OperationId& id : ids) {
    EXPECT_EQ(tracker->get_snapshot(id)->version, 202);
    EXPECT_EQ(tracker->events(id).size(), 202u);
  }
}

TEST_P(StoreConcurrency, PagingTenThousandWhileInsertingSeesEachRowOnce) {
  std::set<std::string> existing;
  for (int i = 0; i < 10000; ++i) {
    existing.insert(start("Paged.Op").value());
    if (i % 100 == 0) clock->advance(1s);
  }
  std::atomic<bool> done{false};
  std::atomic<int> inserted{0};
  std::thread inserter([&] {
    // Inserts while the reader walks the pages: at least a few rows, at most 2,000
    // (enough to interleave with every page without swamping a slow store).
    while ((!done.load() && inserted.load() < 2000) || inserted.load() < 3) {
      tracker->start("Paged.Op");
      inserted.fetch_add(1);
    }
  });
  std::map<std::string, int> seen;
  OperationQuery q;
  q.limit = 137;
  int pages = 0;
  while (true) {
    const OperationPage page = tracker->list(q);
    for (const auto& op : page.operations) ++seen[op.id.value()];
    ++pages;
    if (!page.next_page_token) break;
    q.page_token = page.next_page_token;
  }
  done.store(true);
  inserter.join();
  for (const std::string& id : existing) {
    ASSERT_EQ(seen[id], 1) << id;
  }
  for (const auto& [id, count] : seen) ASSERT_EQ(count, 1) << id;
  EXPECT_GE(pages, 10000 / 137);
  EXPECT_GT(inserted.load(), 0);
}

TEST_P(StoreConcurrency, TwoMonitorsRacingMarkEachOperationOnce) {
  std::vector<OperationId> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(start(i % 2 ? "Webhook.Process" : "Batch.Import"));
  clock->advance(7h);
  StallMonitorOptions options;
  options.policy.default_threshold = 6h;
  options.policy.thresholds = {{"Webhook.", 30min}};
  options.batch_limit = 50;  // several rounds each, so the scans overlap
  StallMonitor first(*tracker, *tracker, options);
  StallMonitor second(*tracker, *tracker, options);
  std::atomic<std::size_t> marked{0};
  run_together(2, [&](int t) {
    StallMonitor& monitor = t == 0 ? first : second;
    while (true) {
      const std::size_t n = monitor.scan_once().marked.size();
      marked.fetch_add(n);
      if (n == 0 && tracker->find_stalled({.threshold = 30min}).empty()) break;
    }
  });
  EXPECT_EQ(marked.load(), 200u);
  for (const OperationId& id : ids) {
    const OperationSnapshot s = *tracker->get_snapshot(id);
    EXPECT_EQ(s.status, S::Stalled);
    EXPECT_EQ(s.stall_count, 1);
  }
}

TEST_P(StoreConcurrency, BackgroundMonitorScansAndStopsPromptly) {
  const OperationId id = start("Webhook.Process");
  clock->advance(1h);
  std::latch scanned(1);
  std::atomic<std::size_t> marked{0};
  StallMonitorOptions options;
  options.policy.default_threshold = 30min;
  options.interval = std::chrono::hours(1);  // stop() must not wait this out
  options.on_scan = [&](const StallScanResult& r) {
    marked.fetch_add(r.marked.size());
    scanned.count_down();
  };
  StallMonitor monitor(*tracker, *tracker, options);
  monitor.start();
  EXPECT_TRUE(monitor.running());
  scanned.wait();  // the first scan runs at once
  monitor.stop();
  EXPECT_FALSE(monitor.running());
  EXPECT_EQ(marked.load(), 1u);
  EXPECT_EQ(tracker->get_snapshot(id)->status, S::Stalled);
}

}  // namespace
}  // namespace incursa::platform::testing
