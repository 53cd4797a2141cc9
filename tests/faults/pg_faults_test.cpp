// PostgreSQL under real faults (issue 10): backends killed with
// pg_terminate_backend during a load of writer threads, and the server stopped
// for 10 s and started again. Nothing acknowledged may be lost, nothing may be
// written twice, every failure must be a retryable StoreError, and the same
// store object must work again afterwards.
//
// The writers make their calls by hand with their own ids and event keys, and
// repeat a call that failed retryably exactly as it was: a caller's retry after
// an ambiguous failure (connection lost after the COMMIT was sent) must not
// double anything (docs/postgres.md, "Errors and the retry policy").
//
// Nothing sleeps to wait for a thread: the killer strikes after every few
// acknowledged writes (a condition variable), and readiness after the restart is
// polled through the store itself. The 10 s outage is the scenario, measured on
// the steady clock while calls keep failing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/store_support.hpp"
#include "pg_test_support.hpp"

namespace incursa::platform::testing {
namespace {

using namespace std::chrono_literals;
using S = OperationStatus;

Timestamp now() {
  return std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// A store on a fresh schema whose connections carry `application_name`, so that
// the killer finds exactly its backends.
std::shared_ptr<PostgresStore> open_named_store(const std::string& application_name) {
  PostgresStoreOptions parsed = PostgresStore::parse_uri(*server_uri());
  PostgresStoreOptions options;
  options.conninfo = parsed.conninfo +
                     (parsed.conninfo.find('?') == std::string::npos ? "?" : "&") +
                     "application_name=" + application_name;
  options.schema = unique_schema("fault");
  options.pool_size = 8;
  return PostgresStore::open(std::move(options));
}

// The calls of one lifecycle (start, 10 progress, 2 events, complete), each
// repeated by the caller while it fails retryably.
struct Caller {
  Caller(PostgresStore& s, std::atomic<std::uint64_t>& acks, std::condition_variable& cv)
      : store(s), acknowledged(acks), progress(cv) {}

  PostgresStore& store;
  std::atomic<std::uint64_t>& acknowledged;
  std::condition_variable& progress;
  std::atomic<std::uint64_t> caller_retries{0};
  std::mutex errors_mutex;
  std::vector<std::string> errors;  // anything but a retryable StoreError

  bool call(const std::function<void()>& fn) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      try {
        fn();
        acknowledged.fetch_add(1);
        progress.notify_all();
        return true;
      } catch (const StoreError& e) {
        if (!e.retryable()) return fail(std::string("non-retryable StoreError: ") + e.what());
        caller_retries.fetch_add(1);
      } catch (const std::exception& e) {
        return fail(std::string("not a StoreError: ") + e.what());
      }
    }
    return fail("still failing after 200 tries");
  }

  bool fail(std::string what) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(std::move(what));
    return false;
  }

  void lifecycle(const std::string& id) {
    const Timestamp at = now();
    if (!call([&] {
          const InsertResult r =
              store.insert(new_operation(id, "Fault.Op", at), created_event(at, id + ":c"));
          // A repeat after a lost reply may find the row its first try made.
          if (r.snapshot.id.value() != id || r.snapshot.name != "Fault.Op") {
            throw std::runtime_error("insert returned another operation");
          }
        })) {
      return;
    }
    for (int i = 1; i <= 10; ++i) {
      const TransitionRequest r =
          progress_request(id, now(), i * 10.0, id + ":run" + std::to_string(i));
      if (!call([&] { expect_applied(store.transition(r), id); })) return;
    }
    for (const char* e : {":e1", ":e2"}) {
      const TransitionRequest r = event_request(id, now(), id + e);
      if (!call([&] { expect_applied(store.transition(r), id); })) return;
    }
    const TransitionRequest r = complete_request(id, now(), id + ":done");
    (void)call([&] { expect_applied(store.transition(r), id); });
  }

  static void expect_applied(const TransitionResult& r, const std::string& id) {
    if (r.outcome != TransitionOutcome::Applied) {
      throw std::runtime_error("transition of " + id + " not applied");
    }
  }
};

// Every operation complete, with exactly its five keyed events in order.
void expect_every_write_once(RawPg& raw, const std::string& schema,
                             const std::vector<std::string>& ids) {
  const std::string s = "\"" + schema + "\"";
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM " + s + ".operations"),
            static_cast<std::int64_t>(ids.size()));
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM " + s + ".events"),
            static_cast<std::int64_t>(ids.size() * 5));
  for (const std::string& id : ids) {
    const auto row = raw.rows(
        "SELECT status, percent::text, last_sequence FROM " + s + ".operations WHERE id = $1",
        {id});
    ASSERT_EQ(row.size(), 1U) << id << " lost";
    EXPECT_EQ(row[0][0], "Succeeded") << id;
    EXPECT_EQ(row[0][1], "100") << id;
    EXPECT_EQ(row[0][2], "5") << id;
    const auto keys = raw.column(
        "SELECT event_key FROM " + s + ".events WHERE operation_id = $1 ORDER BY sequence", {id});
    EXPECT_EQ(keys, (std::vector<std::string>{id + ":c", id + ":run1", id + ":e1", id + ":e2",
                                              id + ":done"}))
        << id;
    EXPECT_EQ(raw.column("SELECT sequence FROM " + s +
                             ".events WHERE operation_id = $1 ORDER BY "
                             "sequence",
                         {id}),
              (std::vector<std::string>{"1", "2", "3", "4", "5"}))
        << id;
  }
}

class PgFaults : public ::testing::Test {
 protected:
  void SetUp() override { INCURSA_REQUIRE_PG_SERVER(); }
};

TEST_F(PgFaults, BackendsKilledDuringALoadLoseNothingAndDoubleNothing) {
  constexpr int kWriters = 8;
  constexpr int kOpsPerWriter = 12;
  constexpr std::uint64_t kKillEvery = 40;  // acknowledged writes between two kills
  const std::string app = unique_schema("faultkill");
  auto store = open_named_store(app);

  std::atomic<std::uint64_t> acknowledged{0};
  std::condition_variable progress;
  std::mutex progress_mutex;
  Caller caller(*store, acknowledged, progress);
  std::atomic<int> writers_left{kWriters};

  std::int64_t terminated = 0;
  int kills = 0;
  std::thread killer([&] {
    RawPg raw;
    std::uint64_t next = kKillEvery;
    for (;;) {
      {
        std::unique_lock lock(progress_mutex);
        progress.wait(lock,
                      [&] { return acknowledged.load() >= next || writers_left.load() == 0; });
      }
      if (writers_left.load() == 0) return;
      next = acknowledged.load() + kKillEvery;
      terminated += raw.scalar(
          "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          " WHERE application_name = $1 AND pid <> pg_backend_pid()) AS t",
          {app});
      ++kills;
    }
  });

  std::vector<std::string> ids;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kOpsPerWriter; ++i) {
      ids.push_back("kill-" + std::to_string(w) + "-" + std::to_string(i));
    }
    writers.emplace_back([&, w] {
      for (int i = 0; i < kOpsPerWriter; ++i) {
        caller.lifecycle("kill-" + std::to_string(w) + "-" + std::to_string(i));
      }
      {
        std::lock_guard lock(progress_mutex);
        writers_left.fetch_sub(1);
      }
      progress.notify_all();
    });
  }
  for (auto& t : writers) t.join();
  killer.join();

  for (const auto& e : caller.errors) ADD_FAILURE() << e;
  const auto stats = store->stats();
  std::printf(
      "[ stats    ] %d kills, %lld backends terminated, %llu store retries, %llu caller "
      "retries, %llu connections opened, %llu discarded, %llu batches for %llu writes\n",
      kills, static_cast<long long>(terminated), static_cast<unsigned long long>(stats.retries),
      static_cast<unsigned long long>(caller.caller_retries.load()),
      static_cast<unsigned long long>(stats.connections_opened),
      static_cast<unsigned long long>(stats.connections_discarded),
      static_cast<unsigned long long>(stats.write_batches),
      static_cast<unsigned long long>(stats.batched_writes));
  EXPECT_GE(kills, 10) << "the load was too short to be cut off often";
  EXPECT_GE(terminated, 10) << "the killer found too few backends to kill";
  EXPECT_GT(stats.connections_discarded, 0U) << "no killed connection was ever noticed";
  RawPg raw;
  expect_every_write_once(raw, store->schema(), ids);
}

TEST_F(PgFaults, ServerStoppedForTenSecondsThenStartedTheSameStoreRecovers) {
  if (server_state_dir().empty()) GTEST_SKIP() << "needs the CTest fixture's server to stop";
  auto store = open_named_store(unique_schema("faultstop"));
  std::atomic<std::uint64_t> acknowledged{0};
  std::condition_variable progress;
  Caller caller(*store, acknowledged, progress);
  std::vector<std::string> before;
  for (int i = 0; i < 5; ++i) {
    before.push_back("before-" + std::to_string(i));
    caller.lifecycle(before.back());
  }
  ASSERT_TRUE(caller.errors.empty());
  const auto opened_before = store->stats().connections_opened;

  struct Resume {  // the server comes back even if an assertion below fails
    bool halted = false;
    ~Resume() {
      if (halted) (void)run_server_script("resume");
    }
  } resume;
  ASSERT_EQ(run_server_script("halt"), 0) << "pg_ctl stop failed";
  resume.halted = true;

  // The outage: 10 s of calls, every one a retryable StoreError.
  int failed_writes = 0;
  int failed_reads = 0;
  std::vector<std::string> during;
  const auto outage_end = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < outage_end) {
    const std::string id = "during-" + std::to_string(during.size());
    during.push_back(id);
    try {
      store->insert(new_operation(id, "Fault.Op", now()), created_event(now(), id + ":c"));
      ADD_FAILURE() << "a write succeeded while the server was down";
    } catch (const StoreError& e) {
      EXPECT_TRUE(e.retryable()) << e.what();
      ++failed_writes;
    }
    try {
      (void)store->get(OperationId::parse(before[0]));
      ADD_FAILURE() << "a read succeeded while the server was down";
    } catch (const StoreError& e) {
      EXPECT_TRUE(e.retryable()) << e.what();
      ++failed_reads;
    }
  }
  EXPECT_GT(failed_writes, 0);
  EXPECT_GT(failed_reads, 0);

  ASSERT_EQ(run_server_script("resume"), 0) << "pg_ctl start failed";
  resume.halted = false;

  // Ready again: poll through the store itself (each failing try backs off
  // inside the store), with a deadline.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::optional<OperationSnapshot> first;
  while (!first && std::chrono::steady_clock::now() < deadline) {
    try {
      first = store->get(OperationId::parse(before[0]));
    } catch (const StoreError& e) {
      ASSERT_TRUE(e.retryable()) << e.what();
    }
  }
  ASSERT_TRUE(first.has_value()) << "the store did not recover within 60 s of the restart";

  // The same store object writes again, and nothing acknowledged was lost.
  std::vector<std::string> all = before;
  for (int i = 0; i < 5; ++i) {
    all.push_back("after-" + std::to_string(i));
    caller.lifecycle(all.back());
  }
  for (const auto& e : caller.errors) ADD_FAILURE() << e;
  EXPECT_GT(store->stats().connections_opened, opened_before) << "it reconnected";
  RawPg raw;
  expect_every_write_once(raw, store->schema(), all);
  // The writes refused during the outage never reached a server.
  for (const auto& id : during) {
    EXPECT_EQ(
        raw.scalar("SELECT count(*) FROM \"" + store->schema() + "\".operations WHERE id = $1",
                   {id}),
        0)
        << id;
  }
  std::printf("[ outage   ] %d writes and %d reads refused (retryable) during 10 s\n",
              failed_writes, failed_reads);
}

}  // namespace
}  // namespace incursa::platform::testing
