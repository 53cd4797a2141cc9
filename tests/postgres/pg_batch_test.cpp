// Group commit (src/stores/postgres/pg_batch.hpp) against the real server.
//
// The tests make a batch deterministic without sleeping: a raw connection holds
// the row lock of one operation, so the first write to it keeps its batch (the
// only one allowed in flight) waiting on the server; the calls made meanwhile
// queue (the store's stats say how many), and all go out in the next batch when
// the raw connection commits.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
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

// Polls `ready` (a cheap read of counters or of pg_stat_activity) until it holds;
// fails the test after 30 s instead of hanging.
bool eventually(const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class PgBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    INCURSA_REQUIRE_PG_SERVER();
    PostgresStoreOptions options;
    options.max_write_batches = 1;
    store_ = open_fresh_store(options, "batch");
    schema_ = "\"" + store_->schema() + "\"";
  }

  // Starts a batch that waits on the server for `blocker`'s row lock, held by
  // `raw` until the test commits it. Returns the thread running that write.
  std::thread block_the_batch(RawPg& raw, const std::string& blocker) {
    raw.exec("BEGIN");
    raw.rows("SELECT 1 FROM " + schema_ + ".operations WHERE id = $1 FOR UPDATE", {blocker});
    std::thread t([this, blocker] {
      blocked_result_ = store_->transition(progress_request(blocker, now(), 1, blocker + ":run"));
    });
    const bool waiting = eventually([&] {
      RawPg probe;
      return probe.scalar(
                 "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                 " AND position($1 in query) > 0",
                 {store_->schema()}) == 1;
    });
    EXPECT_TRUE(waiting) << "the first batch never reached the row lock";
    return t;
  }

  bool queued(std::size_t n) {
    return eventually([&] { return store_->stats().queued_writes == n; });
  }

  std::shared_ptr<PostgresStore> store_;
  std::string schema_;
  std::optional<TransitionResult> blocked_result_;
};

TEST_F(PgBatch, QueuedWritesShareOneTransactionAndAFailingCallFailsAlone) {
  const Timestamp at = now();
  for (const char* id : {"a", "b1", "b3", "b4"}) {
    ASSERT_TRUE(
        store_->insert(new_operation(id, "Batch.Op", at), created_event(at, std::string(id) + ":c"))
            .created);
  }
  const auto before = store_->stats();

  RawPg raw;
  std::thread blocked = block_the_batch(raw, "a");

  // Sorted by id the batch is b1 b2 b3 b4 b5: failures in the middle and last.
  std::vector<std::thread> callers;
  std::vector<std::optional<TransitionResult>> applied(3);
  std::vector<std::optional<StoreError>> refused(2);
  const std::vector<std::string> good{"b1", "b3", "b4"};
  for (std::size_t i = 0; i < good.size(); ++i) {
    callers.emplace_back([&, i] {
      applied[i] = store_->transition(progress_request(good[i], now(), 50, good[i] + ":run"));
    });
  }
  const std::vector<std::string> bad{"b2", "b5"};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    callers.emplace_back([&, i] {
      // Not UTF-8: the server refuses the parameter, for this call only.
      try {
        store_->insert(new_operation(bad[i], "Bad\xff\xfe", at), created_event(at, bad[i] + ":c"));
      } catch (const StoreError& e) {
        refused[i] = e;
      }
    });
  }
  ASSERT_TRUE(queued(5)) << "queued: " << store_->stats().queued_writes;
  raw.exec("COMMIT");
  blocked.join();
  for (auto& t : callers) t.join();

  const auto after = store_->stats();
  EXPECT_EQ(after.write_batches - before.write_batches, 2U) << "the blocked batch, then the five";
  EXPECT_EQ(after.largest_batch, 5U);
  ASSERT_TRUE(blocked_result_.has_value());
  EXPECT_EQ(blocked_result_->outcome, TransitionOutcome::Applied);
  for (std::size_t i = 0; i < good.size(); ++i) {
    ASSERT_TRUE(applied[i].has_value()) << good[i];
    EXPECT_EQ(applied[i]->outcome, TransitionOutcome::Applied) << good[i];
    ASSERT_EQ(applied[i]->appended.size(), 1U) << good[i];
    EXPECT_EQ(applied[i]->appended[0].sequence, 2);
  }
  for (std::size_t i = 0; i < bad.size(); ++i) {
    ASSERT_TRUE(refused[i].has_value()) << bad[i] << " was accepted";
    EXPECT_FALSE(refused[i]->retryable()) << refused[i]->what();
    EXPECT_NE(std::string(refused[i]->what()).find("insert of operation " + bad[i]),
              std::string::npos)
        << refused[i]->what();
  }
  // Committed and visible to anyone: the good ones, each once; the bad ones not at all.
  RawPg check;
  for (const auto& id : good) {
    EXPECT_EQ(check.value("SELECT status FROM " + schema_ + ".operations WHERE id = $1", {id}),
              "Running");
    EXPECT_EQ(
        check.scalar("SELECT count(*) FROM " + schema_ + ".events WHERE operation_id = $1", {id}),
        2);
  }
  for (const auto& id : bad) {
    EXPECT_EQ(check.scalar("SELECT count(*) FROM " + schema_ + ".operations WHERE id = $1", {id}),
              0);
    EXPECT_EQ(
        check.scalar("SELECT count(*) FROM " + schema_ + ".events WHERE operation_id = $1", {id}),
        0);
  }
}

TEST_F(PgBatch, CallsOnOneOperationInOneBatchAllApplyWithConsecutiveSequences) {
  const Timestamp at = now();
  ASSERT_TRUE(store_->insert(new_operation("a", "Batch.Op", at), created_event(at, "a:c")).created);
  ASSERT_TRUE(store_->insert(new_operation("c", "Batch.Op", at), created_event(at, "c:c")).created);
  RawPg raw;
  std::thread blocked = block_the_batch(raw, "a");
  constexpr int kCalls = 6;
  std::vector<std::thread> callers;
  std::vector<std::optional<TransitionResult>> results(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      results[static_cast<std::size_t>(i)] =
          store_->transition(event_request("c", now(), "c:e" + std::to_string(i)));
    });
  }
  ASSERT_TRUE(queued(kCalls));
  raw.exec("COMMIT");
  blocked.join();
  for (auto& t : callers) t.join();
  EXPECT_EQ(store_->stats().largest_batch, static_cast<std::uint64_t>(kCalls));
  std::vector<std::int64_t> sequences;
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->outcome, TransitionOutcome::Applied);
    ASSERT_EQ(r->appended.size(), 1U);
    sequences.push_back(r->appended[0].sequence);
  }
  std::sort(sequences.begin(), sequences.end());
  EXPECT_EQ(sequences, (std::vector<std::int64_t>{2, 3, 4, 5, 6, 7}));
  const auto events = store_->events(OperationId::parse("c"), 0, 100);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kCalls + 1));
  for (std::size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].sequence, static_cast<std::int64_t>(i + 1));
  EXPECT_EQ(store_->get(OperationId::parse("c"))->version, kCalls + 1);
}

TEST_F(PgBatch, ARepeatedCallInTheSameBatchIsRecognisedByItsKey) {
  // Two tries of one keyed call land in one batch (a caller retrying while its
  // first try still waits): the second finds the first's event and reports it.
  const Timestamp at = now();
  ASSERT_TRUE(store_->insert(new_operation("a", "Batch.Op", at), created_event(at, "a:c")).created);
  ASSERT_TRUE(store_->insert(new_operation("d", "Batch.Op", at), created_event(at, "d:c")).created);
  RawPg raw;
  std::thread blocked = block_the_batch(raw, "a");
  const TransitionRequest request = complete_request("d", now(), "d:done");
  std::vector<std::optional<TransitionResult>> results(2);
  std::thread first([&] { results[0] = store_->transition(request); });
  ASSERT_TRUE(queued(1));
  std::thread second([&] { results[1] = store_->transition(request); });
  ASSERT_TRUE(queued(2));
  raw.exec("COMMIT");
  blocked.join();
  first.join();
  second.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->outcome, TransitionOutcome::Applied);
    ASSERT_EQ(r->appended.size(), 1U);
    EXPECT_EQ(r->appended[0].sequence, 2);
    EXPECT_EQ(r->appended[0].key, "d:done");
  }
  EXPECT_EQ(store_->events(OperationId::parse("d"), 0, 100).size(), 2U);
  EXPECT_EQ(store_->get(OperationId::parse("d"))->status, S::Succeeded);
}

TEST(PgBatchOff, WithBatchingOffEveryWriteIsItsOwnStatement) {
  INCURSA_REQUIRE_PG_SERVER();
  PostgresStoreOptions options;
  options.max_write_batches = 0;
  auto store = open_fresh_store(options, "nobatch");
  const Timestamp at = now();
  ASSERT_TRUE(store->insert(new_operation("x", "Batch.Op", at), created_event(at, "x:c")).created);
  EXPECT_EQ(store->transition(progress_request("x", now(), 10, "x:run")).outcome,
            TransitionOutcome::Applied);
  EXPECT_EQ(store->transition(complete_request("x", now(), "x:done")).outcome,
            TransitionOutcome::Applied);
  EXPECT_EQ(store->events(OperationId::parse("x"), 0, 100).size(), 3U);
  EXPECT_EQ(store->stats().write_batches, 0U);
}

}  // namespace
}  // namespace incursa::platform::testing
