// Tests of the store's private pieces: the query plan of find_stale, and the
// writer's batch seam (the future group commit).
#include <gtest/gtest.h>

#include <latch>
#include <sstream>
#include <thread>

#include <stdexcept>
#include <string>
#include <vector>

#include "incursa/platform/error.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_operations.hpp"
#include "sqlite_queries.hpp"
#include "sqlite_schema.hpp"
#include "sqlite_test_support.hpp"
#include "sqlite_writer.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;

std::string plan_of(RawDb& raw, const std::string& sql) {
  std::string plan;
  for (const auto& row : raw.rows("EXPLAIN QUERY PLAN " + sql)) plan += row.back() + "\n";
  return plan;
}

TEST(SqliteQueryPlan, FindStaleUsesThePartialIndexWithoutSorting) {
  TempDir dir;
  const std::string path = dir.file("plan.db");
  SqliteStore::open(SqliteStoreOptions{.path = path});
  RawDb raw(path);
  for (const auto basis : {ActivityBasis::Activity, ActivityBasis::Progress}) {
    const std::string index = basis == ActivityBasis::Activity ? "operations_stale_by_activity"
                                                               : "operations_stale_by_progress";
    for (const StatusSet statuses :
         {StatusSet{S::Pending, S::Running}, StatusSet{S::Pending}, StatusSet{S::Running}}) {
      for (const bool names : {false, true}) {
        StaleQuery query{.statuses = statuses, .basis = basis};
        if (names) {
          query.name_prefix = "Webhook.";
          query.exclude_name_prefixes = {"Webhook.Slow.", "Webhook.Batch."};
        }
        const std::string sql = sqlite::stale_query(query).text();
        const std::string plan = plan_of(raw, sql);
        EXPECT_NE(plan.find("USING INDEX " + index), std::string::npos) << sql << "\n" << plan;
        EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << sql << "\n" << plan;
      }
    }
  }
}

TEST(SqliteQueryPlan, ReadsByIdAndEventsUseTheirKeys) {
  TempDir dir;
  const std::string path = dir.file("plan.db");
  SqliteStore::open(SqliteStoreOptions{.path = path});
  RawDb raw(path);
  const std::string events =
      plan_of(raw,
              "SELECT * FROM operation_events WHERE operation_id = 'a' AND sequence > 0 "
              "ORDER BY sequence LIMIT 10");
  EXPECT_NE(events.find("USING PRIMARY KEY (operation_id=? AND sequence>?)"), std::string::npos)
      << events;
  EXPECT_EQ(events.find("TEMP B-TREE"), std::string::npos) << events;
  const std::string by_id = plan_of(raw, "SELECT * FROM operations WHERE id = 'a'");
  EXPECT_NE(by_id.find("USING INDEX sqlite_autoindex_operations_1 (id=?)"), std::string::npos)
      << by_id;
}

TEST(SqliteQueryPlan, ListsCountsAuditAndRetentionUseTheirIndexes) {
  TempDir dir;
  const std::string path = dir.file("plan.db");
  SqliteStore::open(SqliteStoreOptions{.path = path});
  RawDb raw(path);
  const auto expect_index = [&](const std::string& sql, const std::string& index) {
    const std::string plan = plan_of(raw, sql);
    EXPECT_NE(plan.find(index), std::string::npos) << sql << "\n" << plan;
  };
  const std::string ops = "SELECT id FROM operations";
  expect_index(ops + " WHERE (name >= 'Webhook.' AND name < 'Webhook/') ORDER BY started_at DESC",
               "operations_by_name");
  expect_index(ops + " WHERE correlation_id = 'c' ORDER BY started_at DESC, id DESC",
               "operations_by_correlation");
  expect_index(ops + " WHERE parent_id = 'p' ORDER BY started_at DESC, id DESC",
               "operations_by_parent");
  expect_index(
      ops + " WHERE (started_at, id) < (5, 'x') ORDER BY started_at DESC, id DESC LIMIT 10",
      "operations_by_started");
  expect_index("SELECT status, COUNT(*) FROM operations WHERE status IN ('Failed') GROUP BY status",
               "operations_by_status");
  expect_index(
      "SELECT id FROM audit_events WHERE id IN (SELECT event_id FROM audit_anchors WHERE "
      "(type = 'Operation' AND anchor_id = 'x')) ORDER BY occurred_at DESC, id DESC",
      "audit_anchors_by_object");
  expect_index("SELECT id FROM audit_events WHERE correlation_id = 'c'",
               "audit_events_by_correlation");
  expect_index("SELECT id FROM audit_events ORDER BY occurred_at DESC, id DESC LIMIT 5",
               "audit_events_by_time");
  expect_index(std::string("SELECT id FROM operations INDEXED BY operations_purgeable WHERE (") +
                   sqlite::kPurgeableCondition +
                   ") AND ((status = 'Failed' AND completed_at < 5)) "
                   "ORDER BY completed_at, id LIMIT 10",
               "operations_purgeable");
  // The purge query repeats the index's condition verbatim, or SQLite cannot use it.
  const std::string index_sql =
      raw.rows("SELECT sql FROM sqlite_master WHERE name = 'operations_purgeable'").at(0).at(0);
  EXPECT_NE(index_sql.find(std::string("WHERE ") + sqlite::kPurgeableCondition), std::string::npos)
      << index_sql;
}

// Every list filter, alone or combined, reads ordered ranges of one index --
// a branch per status, per name, or per both -- never sorting the whole match.
TEST(SqliteQueryPlan, EveryListFilterReadsOrderedIndexRangesWithoutSortingTheMatches) {
  TempDir dir;
  const std::string path = dir.file("plan.db");
  SqliteStore::open(SqliteStoreOptions{.path = path});
  RawDb raw(path);
  const std::vector<std::string> names = {"Webhook.A", "Webhook.B", "Webhook.C"};
  const auto t0 = Timestamp{} + std::chrono::hours(24 * 365 * 50);
  struct Case {
    const char* what;
    OperationFilter filter;
    const char* index;
    // The change feed reads what was updated since its last poll -- a few rows
    // -- and sorts them: no index orders by started_at within an updated_at range.
    bool sorts_what_it_reads = false;
  };
  const std::vector<Case> cases = {
      {"nothing", {}, "operations_by_started"},
      {"one status", {.statuses = {S::Failed}}, "operations_by_status"},
      {"two statuses", {.statuses = {S::Running, S::Stalled}}, "operations_by_status"},
      {"name", {.name = "Webhook.A"}, "operations_by_name"},
      {"prefix", {.name_prefix = "Webhook."}, "operations_by_name"},
      {"prefix and statuses",
       {.statuses = {S::Running, S::Stalled}, .name_prefix = "Webhook."},
       "operations_by_status_name"},
      {"tag", {.tags = {{"tenant", "t0"}}}, "operation_tags_by_status"},
      {"tags and status",
       {.statuses = {S::Failed}, .tags = {{"tenant", "t0"}, {"region", "eu"}}},
       "operation_tags_by_status"},
      {"correlation", {.correlation_id = CorrelationId::parse("c1")}, "operations_by_correlation"},
      {"parent", {.parent_id = OperationId::parse("p1")}, "operations_by_parent"},
      {"time range",
       {.started_from = t0, .started_to = t0 + std::chrono::hours(1)},
       "operations_by_started"},
      {"prefix in a time range",
       {.name_prefix = "Webhook.", .started_from = t0, .started_to = t0 + std::chrono::hours(1)},
       "operations_by_name"},
      {"updated since (the change feed)", {.updated_from = t0}, "operations_by_updated", true},
  };
  for (const Case& c : cases) {
    for (const auto order : {ListOrder::NewestFirst, ListOrder::OldestFirst}) {
      for (const bool paged : {false, true}) {
        ListRequest request{.filter = c.filter, .order = order, .limit = 50};
        if (paged) request.after = ListCursor{t0, OperationId::parse("op-1")};
        const std::string sql = sqlite::list_query(request, names).text();
        const std::string plan = plan_of(raw, sql);
        EXPECT_NE(plan.find(std::string("INDEX ") + c.index), std::string::npos) << c.what << "\n"
                                                                                 << sql << "\n"
                                                                                 << plan;
        // A branch reads its index in order. Only pages (at most `limit` rows)
        // are sorted again: a branch's, where the compound's merge scans it,
        // and the merged page's rows, read by id, put back in order.
        std::string previous;
        std::istringstream lines(plan);
        for (std::string line; std::getline(lines, line); previous = line) {
          if (line.find("TEMP B-TREE") == std::string::npos || c.sorts_what_it_reads) continue;
          const bool page = previous.rfind("SCAN (subquery", 0) == 0 ||
                            previous == "SEARCH o USING INDEX sqlite_autoindex_operations_1 (id=?)";
          EXPECT_TRUE(page) << c.what << "\n" << sql << "\n" << plan;
        }
        EXPECT_EQ(plan.find("SCAN o\n"), std::string::npos) << c.what << "\n" << plan;
      }
    }
  }
}

// A bounded count of one status reads at most `limit` entries of the index the
// list would read, covering where it can (no row of operations), sorting nothing.
TEST(SqliteQueryPlan, BoundedCountsReadOneCutIndexRangePerStatus) {
  TempDir dir;
  const std::string path = dir.file("plan.db");
  SqliteStore::open(SqliteStoreOptions{.path = path});
  RawDb raw(path);
  const std::vector<std::string> names = {"Webhook.A", "Webhook.B", "Webhook.C"};
  struct Case {
    const char* what;
    OperationFilter filter;
    const char* index;
    bool covering;
  };
  const std::vector<Case> cases = {
      {"status", {.statuses = {S::Failed}}, "operations_by_status", true},
      {"prefix",
       {.statuses = {S::Failed}, .name_prefix = "Webhook."},
       "operations_by_status_name",
       true},
      {"name", {.statuses = {S::Failed}, .name = "Webhook.B"}, "operations_by_status_name", true},
      {"tag",
       {.statuses = {S::Failed}, .tags = {{"tenant", "t0"}}},
       "operation_tags_by_status",
       true},
      {"two tags",
       {.statuses = {S::Failed}, .tags = {{"tenant", "t0"}, {"region", "eu"}}},
       "operation_tags_by_status",
       true},
      {"tag and prefix",
       {.statuses = {S::Failed}, .name_prefix = "Webhook.", .tags = {{"tenant", "t0"}}},
       "operation_tags_by_status",
       false},
      {"correlation",
       {.statuses = {S::Failed}, .correlation_id = CorrelationId::parse("c1")},
       "operations_by_correlation",
       false},
  };
  for (const Case& c : cases) {
    const std::string sql = sqlite::bounded_count_query(c.filter, names, 10001).text();
    const std::string plan = plan_of(raw, sql);
    EXPECT_NE(plan.find(std::string("INDEX ") + c.index), std::string::npos) << c.what << "\n"
                                                                             << sql << "\n"
                                                                             << plan;
    if (c.covering) {
      // Indexes answer alone: no row of operations is read.
      std::istringstream lines(plan);
      for (std::string line; std::getline(lines, line);) {
        if (line.find("SEARCH o ") == std::string::npos) continue;
        EXPECT_NE(line.find("COVERING INDEX"), std::string::npos) << c.what << "\n" << plan;
      }
      EXPECT_NE(plan.find("COVERING INDEX"), std::string::npos) << c.what << "\n" << plan;
    }
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << c.what << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN o\n"), std::string::npos) << c.what << "\n" << plan;
  }
}

// SQLite runs `x IN (a, b, c)` -- three constants or more, in a CHECK, a partial
// index's WHERE or the statement itself -- by building a temporary b-tree every
// time the statement runs: an allocation and page faults on every write
// (docs/performance.md). The write path must compile to plain comparisons.
TEST(SqliteQueryPlan, WritePathBuildsNoTemporaryBtree) {
  TempDir dir;
  const std::string path = dir.file("plan.db");
  SqliteStore::open(SqliteStoreOptions{.path = path});
  RawDb raw(path);
  for (const char* statement : sqlite::write_path_statements()) {
    int opcodes = 0;
    for (const auto& row : raw.rows(std::string("EXPLAIN ") + statement)) {
      ASSERT_GE(row.size(), 2U);
      EXPECT_NE(row[1], "OpenEphemeral") << statement;
      ++opcodes;
    }
    EXPECT_GT(opcodes, 0) << statement;
  }
}

class SqliteWriterBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    path = dir.file("batch.db");
    auto connection = sqlite::Connection::open(
        sqlite::ConnectionOptions{.filename = path,
                                  .display_name = path,
                                  .open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                  .busy_timeout = std::chrono::milliseconds(1000)});
    connection->exec("PRAGMA journal_mode = WAL");
    connection->exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
    writer = std::make_unique<sqlite::Writer>(std::move(connection));
  }

  static std::function<void(sqlite::Connection&)> insert(int v) {
    return [v](sqlite::Connection& c) {
      c.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, std::int64_t{v}).run();
    };
  }

  std::vector<std::string> values() {
    RawDb raw(path);
    return raw.column("SELECT v FROM t ORDER BY v");
  }

  TempDir dir;
  std::string path;
  std::unique_ptr<sqlite::Writer> writer;
};

TEST_F(SqliteWriterBatch, AFailingJobRollsBackOnlyItself) {
  std::vector<sqlite::Writer::Job> jobs(4);
  jobs[0].work = insert(1);
  jobs[1].work = [](sqlite::Connection& c) {
    c.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, std::int64_t{2}).run();
    throw std::runtime_error("job 2 fails after writing");
  };
  jobs[2].work = insert(1);  // duplicate key: a StoreError from SQLite
  jobs[3].work = insert(3);
  writer->commit_batch(jobs);
  EXPECT_FALSE(jobs[0].error);
  EXPECT_TRUE(jobs[1].error);
  EXPECT_TRUE(jobs[2].error);
  EXPECT_THROW(std::rethrow_exception(jobs[2].error), StoreError);
  EXPECT_FALSE(jobs[3].error);
  EXPECT_EQ(values(), (std::vector<std::string>{"1", "3"}));
}

TEST_F(SqliteWriterBatch, ABatchRunsOnceUnlessAJobFailsThenAgainWithEachJobIsolated) {
  // Without failures every job runs once; a failure rolls the first run back and
  // the batch runs again with savepoints, so survivors run twice but commit once.
  int runs_of_first = 0;
  std::vector<sqlite::Writer::Job> clean(2);
  clean[0].work = [&](sqlite::Connection& c) {
    ++runs_of_first;
    insert(1)(c);
  };
  clean[1].work = insert(2);
  writer->commit_batch(clean);
  EXPECT_EQ(runs_of_first, 1);

  int runs_of_survivor = 0;
  std::vector<sqlite::Writer::Job> failing(2);
  failing[0].work = [&](sqlite::Connection& c) {
    ++runs_of_survivor;
    insert(3)(c);
  };
  failing[1].work = [](sqlite::Connection&) { throw std::runtime_error("refused"); };
  writer->commit_batch(failing);
  EXPECT_EQ(runs_of_survivor, 2);
  EXPECT_FALSE(failing[0].error);
  EXPECT_TRUE(failing[1].error);
  EXPECT_EQ(values(), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(SqliteWriterBatch, WriteReturnsTheResultOrRethrowsAndRollsBack) {
  EXPECT_EQ(writer->write([](sqlite::Connection& c) {
    c.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, std::int64_t{10}).run();
    return 42;
  }),
            42);
  EXPECT_THROW(writer->write([](sqlite::Connection& c) -> int {
    c.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, std::int64_t{11}).run();
    throw std::logic_error("no");
  }),
               std::logic_error);
  EXPECT_EQ(values(), std::vector<std::string>{"10"});
}

TEST_F(SqliteWriterBatch, ABusyFileFailsEveryJobRetryably) {
  RawDb holder(path, false);
  holder.exec("BEGIN IMMEDIATE");
  auto connection = sqlite::Connection::open(
      sqlite::ConnectionOptions{.filename = path,
                                .display_name = path,
                                .open_flags = SQLITE_OPEN_READWRITE,
                                .busy_timeout = std::chrono::milliseconds(20)});
  sqlite::Writer impatient(std::move(connection));
  std::vector<sqlite::Writer::Job> jobs(2);
  jobs[0].work = insert(1);
  jobs[1].work = insert(2);
  impatient.commit_batch(jobs);
  for (auto& job : jobs) {
    ASSERT_TRUE(job.error);
    try {
      std::rethrow_exception(job.error);
    } catch (const StoreError& e) {
      EXPECT_TRUE(e.retryable()) << e.what();
    }
  }
  holder.exec("ROLLBACK");
}

TEST_F(SqliteWriterBatch, QueuedWritersAreCommittedTogether) {
  // Hold the connection so the first writer (the leader) blocks, and let seven
  // more queue up behind it: the next leader must take all seven at once.
  std::latch release(1);
  std::thread holder(
      [&] { writer->with_connection([&](sqlite::Connection&) { release.wait(); }); });
  while (writer->queued() != 0 || !writer->connection_busy()) std::this_thread::yield();
  std::vector<std::thread> writers;
  for (int v = 1; v <= 8; ++v) {
    writers.emplace_back([&, v] {
      writer->write([v](sqlite::Connection& c) {
        c.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, std::int64_t{v}).run();
        return v;
      });
    });
    // One at a time, so the first is the leader and the rest queue behind it.
    while (writer->queued() != static_cast<std::size_t>(v - 1)) std::this_thread::yield();
  }
  release.count_down();
  holder.join();
  for (auto& t : writers) t.join();
  EXPECT_EQ(values().size(), 8u);
  EXPECT_EQ(writer->jobs_committed(), 8u);
  EXPECT_EQ(writer->batches_committed(), 2u);  // the leader alone, then the seven together

  // A lone caller after a batch of seven leads a batch of one: it waits for
  // company (at most one commit's time) and then commits alone.
  EXPECT_EQ(writer->write([](sqlite::Connection& c) {
    c.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, std::int64_t{9}).run();
    return 9;
  }),
            9);
  EXPECT_EQ(writer->batches_committed(), 3u);
  EXPECT_EQ(values().size(), 9u);
}

TEST_F(SqliteWriterBatch, MoreQueuedWritersThanABatchHoldsAllCommitInOrderOfBatches) {
  // 300 writers queue behind a blocked leader: the next leader takes 256, and the
  // 43 left over -- woken when that batch ends, though not in it -- must go on
  // waiting and then commit in a third batch, led by the first of them.
  constexpr int kWriters = 300;
  std::latch release(1);
  std::thread holder(
      [&] { writer->with_connection([&](sqlite::Connection&) { release.wait(); }); });
  while (writer->queued() != 0 || !writer->connection_busy()) std::this_thread::yield();
  std::vector<std::thread> writers;
  for (int v = 1; v <= kWriters; ++v) {
    writers.emplace_back([&, v] {
      writer->write([v](sqlite::Connection& c) {
        c.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, std::int64_t{v}).run();
        return v;
      });
    });
    if (v == 1) {
      // The first leads and blocks on the connection; the rest queue behind it.
      while (writer->queued() != 0) std::this_thread::yield();
    }
  }
  while (writer->queued() != static_cast<std::size_t>(kWriters - 1)) std::this_thread::yield();
  release.count_down();
  holder.join();
  for (auto& t : writers) t.join();
  EXPECT_EQ(values().size(), static_cast<std::size_t>(kWriters));
  EXPECT_EQ(writer->jobs_committed(), static_cast<std::size_t>(kWriters));
  EXPECT_EQ(writer->batches_committed(), 3u);  // 1, then 256, then 43
}

}  // namespace
}  // namespace incursa::platform::testing
