// The PostgreSQL store against a real server: schema and migrations, exact value
// round trips, query plans, the database clock, errors, retries and the pool.
#include <gtest/gtest.h>

#include <latch>
#include <optional>
#include <thread>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/store_support.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "pg_connection.hpp"
#include "pg_queries.hpp"
#include "pg_rows.hpp"
#include "pg_schema.hpp"
#include "pg_statements.hpp"
#include "pg_test_support.hpp"

namespace incursa::platform::testing {
namespace {

using namespace std::chrono_literals;
using S = OperationStatus;

class PgStore : public ::testing::Test {
 protected:
  void SetUp() override { INCURSA_REQUIRE_PG_SERVER(); }

  static std::string conninfo() { return PostgresStore::parse_uri(*server_uri()).conninfo; }

  // The store's own connection string with a marker application_name, so a test
  // can find (and kill) exactly this store's backends on a shared server.
  static std::string marked_conninfo(const std::string& marker) {
    return conninfo() + (conninfo().find('?') == std::string::npos ? "?" : "&") +
           "application_name=" + marker;
  }

  static std::shared_ptr<PostgresStore> open_schema(const std::string& schema,
                                                    PostgresStoreOptions options = {}) {
    if (options.conninfo.empty()) options.conninfo = conninfo();
    options.schema = schema;
    return PostgresStore::open(std::move(options));
  }
};

template <class Fn>
void run_together(int n, Fn fn) {
  std::latch go(n);
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      go.arrive_and_wait();
      fn(t);
    });
  }
  for (auto& thread : threads) thread.join();
}

OperationSnapshot sample(const std::string& id, Timestamp at) {
  OperationSnapshot s;
  s.id = OperationId::parse(id);
  s.name = "Sample.Op";
  s.started_at = s.updated_at = s.last_progress_at = at;
  return s;
}

// ---- schema and migrations -------------------------------------------------

TEST_F(PgStore, SchemaUsesTheDocumentedTypesAndIndexes) {
  const auto store = open_fresh_store();
  RawPg raw;
  const auto type_of = [&](const std::string& table, const std::string& column) {
    return raw.value(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND "
        "table_name = $2 AND column_name = $3",
        {store->schema(), table, column});
  };
  for (const char* c :
       {"started_at", "updated_at", "last_progress_at", "completed_at", "cancel_requested_at"}) {
    EXPECT_EQ(type_of("operations", c), "timestamp with time zone") << c;
  }
  EXPECT_EQ(type_of("operations", "tags"), "jsonb");
  EXPECT_EQ(type_of("operations", "correlation"), "jsonb");
  EXPECT_EQ(type_of("events", "occurred_at"), "timestamp with time zone");
  EXPECT_EQ(type_of("events", "data_json"), "text");
  EXPECT_EQ(type_of("events", "data"), "jsonb");
  EXPECT_EQ(type_of("audit_events", "anchors"), "jsonb");

  const auto index = [&](const std::string& name) {
    return raw.value("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2",
                     {store->schema(), name});
  };
  EXPECT_NE(index("operations_stale_activity_idx")
                .find("(updated_at, id) WHERE (status = ANY (ARRAY['Pending'::text, "
                      "'Running'::text]))"),
            std::string::npos)
      << index("operations_stale_activity_idx");
  EXPECT_NE(index("operation_tags_idx").find("gin (tags jsonb_path_ops)"), std::string::npos);
  // Not on operations: every update of a row would add an entry to it (schema v3).
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = "
                       "'operations' AND indexdef LIKE '%gin%'",
                       {store->schema()}),
            0);
  EXPECT_NE(index("events_pkey").find("(operation_id, sequence)"), std::string::npos);
  // Schema v4: the write functions do not plan their statements again on every call.
  for (const char* function : {"op_transition", "op_insert"}) {
    EXPECT_EQ(raw.value("SELECT array_to_string(p.proconfig, ',') FROM pg_proc p JOIN "
                        "pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND "
                        "p.proname = $2",
                        {store->schema(), function}),
              "plan_cache_mode=force_generic_plan")
        << function;
  }
  EXPECT_EQ(store->schema_version(), PostgresStore::latest_schema_version());
}

TEST_F(PgStore, EightThreadsOpeningAFreshSchemaMigrateItOnce) {
  const std::string schema = unique_schema("migrate");
  std::vector<std::shared_ptr<PostgresStore>> stores(8);
  std::atomic<int> failures{0};
  run_together(8, [&](int t) {
    try {
      stores[static_cast<std::size_t>(t)] = open_schema(schema);
    } catch (const std::exception& e) {
      failures.fetch_add(1);
      ADD_FAILURE() << e.what();
    }
  });
  EXPECT_EQ(failures.load(), 0);
  for (const auto& s : stores) {
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->schema_version(), PostgresStore::latest_schema_version());
  }
  RawPg raw;
  EXPECT_EQ(
      raw.column("SELECT version::text FROM \"" + schema + "\".schema_migrations ORDER BY version"),
      (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
  // They all work on the one schema.
  Tracker(stores[0]).start("Shared.Op");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM \"" + schema + "\".operations"), 1);
}

TEST_F(PgStore, AnOlderSchemaIsUpgradedInPlaceKeepingItsData) {
  const std::string schema = unique_schema("upgrade");
  {
    auto conn = postgres::Connection::open({conninfo()});
    ASSERT_EQ(postgres::migrate(*conn, schema, 1), 1);
  }
  RawPg raw;
  raw.exec("INSERT INTO \"" + schema +
           "\".operations (id, name, status, started_at, updated_at, last_progress_at, version, "
           "last_sequence, tags) VALUES ('old-1', 'Old.Op', 'Running', now(), now(), now(), 2, 0, "
           "'{\"tenant\":\"acme\"}'), ('old-2', 'Old.Op', 'Running', now(), now(), now(), 2, 0, "
           "'{}')");
  // What a purge before version 5 left: events without their operation, one
  // finished (its last status event says Canceled) and one with no status event.
  raw.exec("INSERT INTO \"" + schema +
           "\".events (operation_id, sequence, occurred_at, kind, message, data_json, event_key) "
           "VALUES ('gone-1', 1, '2026-01-01T00:00:00Z', 'status', 'Pending', "
           "'{\"from\":null,\"to\":\"Pending\"}', 'k1'), ('gone-1', 2, '2026-01-01T00:00:01Z', "
           "'status', 'Pending -> Canceled', '{\"from\":\"Pending\",\"to\":\"Canceled\"}', 'k2'), "
           "('gone-1', 3, '2026-01-01T00:00:02Z', 'late', NULL, NULL, 'k3'), "
           "('gone-2', 5, '2026-01-01T00:00:03Z', 'note', NULL, NULL, 'k4')");
  const auto store = open_schema(schema);
  EXPECT_EQ(store->schema_version(), PostgresStore::latest_schema_version());
  EXPECT_EQ(store->get(OperationId::parse("old-1"))->name, "Old.Op");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM \"" + schema + "\".schema_migrations"),
            PostgresStore::latest_schema_version());
  // Version 3 copied the tags that were there into operation_tags: a tag filter
  // still finds the old operation, and only it.
  ListRequest by_tag;
  by_tag.filter.tags = {{"tenant", "acme"}};
  const auto found = store->list(by_tag);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].id.value(), "old-1");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM \"" + schema + "\".operation_tags"), 1);
  // Version 5 gave each purged operation a tombstone, from what its events tell.
  const auto canceled = store->retention()->find_purged(OperationId::parse("gone-1"));
  ASSERT_TRUE(canceled.has_value());
  EXPECT_EQ(canceled->name, "");
  EXPECT_EQ(canceled->status, OperationStatus::Canceled);
  EXPECT_EQ(canceled->completed_at, parse_iso8601("2026-01-01T00:00:01Z", "t"));
  const auto unknown = store->retention()->find_purged(OperationId::parse("gone-2"));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->status.has_value());
  EXPECT_THROW(Tracker(store).start("Any.Name", {.id = OperationId::parse("gone-2")}),
               OperationPurgedError);
}

TEST_F(PgStore, TagsAreCopiedOnceAndGoWithTheirOperation) {
  const auto store = open_fresh_store();
  Tracker tracker(store);
  const auto tagged = tracker.start("Tagged.Op", StartOptions{.tags = {{"tenant", "acme"}}});
  tracker.start("Plain.Op");
  RawPg raw;
  const std::string tags_table = "\"" + store->schema() + "\".operation_tags";
  EXPECT_EQ(raw.column("SELECT operation_id || ' ' || tags::text FROM " + tags_table),
            (std::vector<std::string>{tagged.id.value() + R"( {"tenant": "acme"})"}));
  // Updates never touch the copy (tags cannot change after start).
  tracker.update_progress(tagged.id, ProgressUpdate{.percent = 50});
  tracker.complete(tagged.id, OperationStatus::Succeeded);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM " + tags_table), 1);
  // A purge takes the copy with the operation.
  const PurgeRequest purge{.succeeded_before = tagged.started_at + std::chrono::hours(24)};
  ASSERT_EQ(store->retention()->find_purgeable(purge).size(), 1U);
  EXPECT_EQ(store->retention()->delete_operations({tagged.id}, purge),
            (std::vector<OperationId>{tagged.id}));
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM " + tags_table), 0);
}

TEST_F(PgStore, ASchemaFromANewerLibraryIsRefused) {
  const auto store = open_fresh_store();
  RawPg raw;
  raw.exec("INSERT INTO \"" + store->schema() +
           "\".schema_migrations (version, description) VALUES (99, 'from the future')");
  try {
    open_schema(store->schema());
    FAIL() << "opened a schema at version 99";
  } catch (const StoreError& e) {
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos) << e.what();
  }
}

// ---- values ------------------------------------------------------------------

TEST_F(PgStore, TimestampsRoundTripExactlyIncludingBefore1970AndFarFuture) {
  const auto store = open_fresh_store();
  using std::chrono::microseconds;
  const std::vector<Timestamp> times{
      Timestamp(microseconds(-2'208'988'800'000'001)),  // 1899-12-31 23:59:59.999999
      Timestamp(microseconds(-1)),
      Timestamp(microseconds(0)),
      Timestamp(microseconds(1'767'225'600'123'456)),
      Timestamp(microseconds(9'000'000'000'000'007)),  // 2255
      truncate_to_micros(Timestamp::min() + 1s),
  };
  for (std::size_t i = 0; i < times.size(); ++i) {
    OperationSnapshot s = sample("t-" + std::to_string(i), times[i]);
    s.completed_at = times[i] + 1us;
    s.cancel_requested_at = times[i] - 1us;
    const auto result = store->insert(s, created_event(times[i], "k" + std::to_string(i)));
    ASSERT_TRUE(result.created);
    EXPECT_EQ(result.snapshot, s);
    EXPECT_EQ(store->get(s.id), s);
    EXPECT_EQ(store->events(s.id, 0, 10).at(0).occurred_at, times[i]);
  }
}

TEST_F(PgStore, EventDataIsKeptVerbatimAndQueryableAsJsonb) {
  const auto store = open_fresh_store();
  Tracker tracker(store);
  const OperationId id = tracker.start("Json.Op").id;
  const std::string data = R"({ "z" : 1,  "a":[1,2,{"b":null}], "s":"x\"y" })";
  tracker.add_event(id, "payload", std::nullopt, data);
  EXPECT_EQ(tracker.events(id, 1).at(0).data_json, data);
  RawPg raw;
  EXPECT_EQ(raw.value("SELECT data ->> 's' FROM \"" + store->schema() +
                      "\".events WHERE kind = 'payload'"),
            "x\"y");
}

// ---- query plans ---------------------------------------------------------------

class PgPlans : public PgStore {
 protected:
  void SetUp() override {
    PgStore::SetUp();
    if (IsSkipped()) return;
    // Connected here, not as a member: without a server the fixture must skip
    // like every other PostgreSQL test, not fail while it is being built.
    raw_.emplace();
    store_ = open_fresh_store({}, "plan");
    schema_ = "\"" + store_->schema() + "\"";
    // A realistic table: most operations finished long ago, a few still open.
    raw_->exec("INSERT INTO " + schema_ +
               ".operations (id, name, status, started_at, updated_at, last_progress_at, "
               "version, last_sequence) SELECT 'op-' || g, 'Plan.Op', CASE WHEN g % 50 = 0 THEN "
               "'Running' WHEN g % 50 = 1 THEN 'Pending' ELSE 'Succeeded' END, now() - g * "
               "interval '1 second', now() - g * interval '1 second', now() - g * interval '1 "
               "second', 1, 1 FROM generate_series(1, 20000) g");
    raw_->exec("ANALYZE " + schema_ + ".operations");
  }

  // The plan of the store's own find_stale statement, as a generic prepared plan.
  std::string plan(StatusSet statuses, ActivityBasis basis, bool database_clock) {
    const auto st = postgres::find_stale_statement(schema_, statuses, basis, database_clock);
    raw_->exec("SET plan_cache_mode = force_generic_plan");
    raw_->exec("DEALLOCATE ALL");
    raw_->exec("PREPARE q AS " + st.sql);
    const std::string arg = database_clock ? "'1 hour'" : "now() - interval '1 hour'";
    std::string text;
    for (const auto& line : raw_->column("EXPLAIN EXECUTE q(" + arg + ", 100, NULL, '{}')")) {
      text += line + "\n";
    }
    return text;
  }

  std::optional<RawPg> raw_;
  std::shared_ptr<PostgresStore> store_;
  std::string schema_;
};

TEST_F(PgPlans, FindStaleWalksThePartialIndexInOrder) {
  using S = OperationStatus;
  for (bool db_clock : {false, true}) {
    const std::string activity = plan({S::Pending, S::Running}, ActivityBasis::Activity, db_clock);
    EXPECT_NE(activity.find("operations_stale_activity_idx"), std::string::npos) << activity;
    EXPECT_EQ(activity.find("Sort"), std::string::npos) << activity;  // the index gives the order
    const std::string progress = plan({S::Running}, ActivityBasis::Progress, db_clock);
    EXPECT_NE(progress.find("operations_stale_progress_idx"), std::string::npos) << progress;
  }
  // The reason for the literal list: with a bound array the planner cannot prove
  // that the partial index covers the query, and does not use it.
  raw_->exec("DEALLOCATE ALL");
  raw_->exec("PREPARE bound(text[], timestamptz) AS SELECT id FROM " + schema_ +
             ".operations WHERE status = ANY ($1) AND updated_at < $2 ORDER BY updated_at, id "
             "LIMIT 100");
  std::string bound;
  for (const auto& line :
       raw_->column("EXPLAIN EXECUTE bound('{Pending,Running}', now() - interval '1 hour')")) {
    bound += line + "\n";
  }
  EXPECT_EQ(bound.find("operations_stale_activity_idx"), std::string::npos) << bound;
}

// opsd's change feed polls "updated since the last poll": an index seek that
// reads what changed, not the table.
TEST_F(PgPlans, TheChangeFeedSeeksTheUpdatedIndex) {
  ListRequest request{.order = ListOrder::OldestFirst, .limit = 1000};
  request.filter.updated_from = std::chrono::system_clock::now() - 2s;
  const postgres::BuiltQuery q = postgres::list_query(schema_, request);
  raw_->exec("DEALLOCATE ALL");
  raw_->exec("PREPARE feed AS " + q.statement.sql);
  std::string args;
  for (const auto& p : q.params) args += (args.empty() ? "'" : ", '") + p.value_or("") + "'";
  std::string text;
  for (const auto& line : raw_->column("EXPLAIN EXECUTE feed(" + args + ")")) text += line + "\n";
  EXPECT_NE(text.find("operations_updated_idx"), std::string::npos) << text;
  EXPECT_EQ(text.find("Seq Scan"), std::string::npos) << text;
}

TEST_F(PgPlans, FindStaleAnswersFromTheRealTable) {
  StaleQuery q;
  q.cutoff = std::chrono::system_clock::now() - 1h;
  q.limit = 10000;
  const auto found = store_->find_stale(q);
  // ids 3600..20000 are older than an hour; 2 in 50 of them are open.
  EXPECT_NEAR(static_cast<double>(found.size()), (20000.0 - 3600.0) / 25.0, 3.0);
  for (std::size_t i = 1; i < found.size(); ++i) {
    EXPECT_LE(found[i - 1].updated_at, found[i].updated_at);
  }
}

// ---- the database clock ------------------------------------------------------------

TEST_F(PgStore, DatabaseClockStampsWritesWithTheServersTime) {
  auto skewed = std::make_shared<ManualClock>(std::chrono::system_clock::now() - 3h);
  PostgresStoreOptions options;
  options.use_database_clock = true;
  options.clock = skewed;
  const auto store = open_fresh_store(options);
  Tracker tracker(store, TrackerOptions{skewed});
  RawPg raw;
  const auto server_now = [&] {
    return postgres::parse_timestamp(raw.value("SELECT now()::text"));
  };
  const Timestamp before = server_now();
  const OperationSnapshot s = tracker.start("Clock.Op");
  tracker.update_progress(s.id, {.percent = 5.0});
  tracker.request_cancel(s.id, "why");
  const OperationSnapshot done = tracker.complete(s.id, S::Canceled);
  const Timestamp after = server_now() + 1s;
  for (Timestamp t : {done.started_at, done.updated_at, done.last_progress_at, *done.completed_at,
                      *done.cancel_requested_at}) {
    EXPECT_GE(t, before);
    EXPECT_LE(t, after);
  }
  EXPECT_LT(done.started_at, done.updated_at);
  for (const auto& e : tracker.events(s.id)) {
    EXPECT_GE(e.occurred_at, before);
    EXPECT_LE(e.occurred_at, after);
  }
  // What the tracker returned is what is stored.
  EXPECT_EQ(tracker.get_snapshot(s.id), done);
  EXPECT_EQ(tracker.events(s.id).back().occurred_at, *done.completed_at);
}

TEST_F(PgStore, DatabaseClockStopsSkewedHostsFromFakingOrHidingStalls) {
  std::string schema = unique_schema("skew");
  const auto make = [&](std::chrono::system_clock::duration skew, bool database_clock) {
    auto clock = std::make_shared<ManualClock>(std::chrono::system_clock::now() + skew);
    PostgresStoreOptions o;
    o.use_database_clock = database_clock;
    o.clock = clock;
    auto store = open_schema(schema, o);
    return std::make_pair(std::make_unique<Tracker>(store, TrackerOptions{clock}), clock);
  };
  // A worker whose clock runs an hour slow, and a monitor whose clock runs an hour fast.
  auto [slow_worker, slow_clock] = make(-1h, true);
  auto [fast_monitor, fast_clock] = make(+1h, true);
  const OperationId id = slow_worker->start("Skew.Op").id;
  slow_worker->heartbeat(id);

  // Fresh work is not stale to the fast monitor: no faked stall.
  EXPECT_TRUE(fast_monitor->find_stalled({.threshold = 30min}).empty());
  EXPECT_FALSE(
      fast_monitor->mark_stalled(id, {ActivityBasis::Activity, fast_clock->now() - 30min}));
  // Real staleness is still seen, on the server's clock: with a zero threshold
  // everything written before now is stale, whatever the writer's clock said.
  const auto stale = fast_monitor->find_stalled({.threshold = 0s});
  ASSERT_EQ(stale.size(), 1U);
  EXPECT_EQ(stale[0].id, id);
  EXPECT_TRUE(fast_monitor->mark_stalled(id, {ActivityBasis::Activity, fast_clock->now()}));
  EXPECT_EQ(slow_worker->get_snapshot(id)->status, S::Stalled);
  (void)slow_clock;

  // Without the option the same pair does fake a stall (on a schema of its own).
  schema = unique_schema("naive");
  auto [naive_worker, naive_worker_clock] = make(-1h, false);
  auto [naive_monitor, naive_monitor_clock] = make(+1h, false);
  const OperationId naive = naive_worker->start("Skew.Naive").id;
  const auto faked = naive_monitor->find_stalled({.threshold = 30min});
  ASSERT_EQ(faked.size(), 1U);
  EXPECT_EQ(faked[0].id, naive);
  (void)naive_worker_clock;
  (void)naive_monitor_clock;
}

// ---- errors -------------------------------------------------------------------------

TEST_F(PgStore, ConnectionErrorsSayWhetherRetryingHelpsAndHideThePassword) {
  PostgresStoreOptions base = PostgresStore::parse_uri(*server_uri());
  const std::string password = "wrong-" + unique_schema("pw");
  const auto attempt = [&](std::string conninfo) -> StoreError {
    PostgresStoreOptions o;
    o.conninfo = std::move(conninfo);
    o.schema = unique_schema("err");
    o.retry.max_attempts = 1;
    o.connect_timeout = 5s;
    try {
      PostgresStore::open(o);
    } catch (const StoreError& e) {
      return e;
    }
    ADD_FAILURE() << "opened";
    return StoreError("", false);
  };
  // Wrong password: permanent.
  std::string uri = base.conninfo;
  const auto colon = uri.find(':', uri.find("://") + 3);
  const auto at = uri.find('@');
  if (at == std::string::npos || colon > at) GTEST_SKIP() << "the server URI has no password";
  const std::string real_password = uri.substr(colon + 1, at - colon - 1);
  const StoreError bad_password = attempt(uri.substr(0, colon + 1) + password + uri.substr(at));
  EXPECT_FALSE(bad_password.retryable()) << bad_password.what();
  EXPECT_EQ(std::string(bad_password.what()).find(password), std::string::npos);
  // Missing database: permanent, and the real password is not quoted either.
  const StoreError no_db = attempt(uri.substr(0, uri.rfind('/')) + "/no_such_database");
  EXPECT_FALSE(no_db.retryable()) << no_db.what();
  EXPECT_NE(std::string(no_db.what()).find("no_such_database"), std::string::npos);
  EXPECT_EQ(std::string(no_db.what()).find(real_password), std::string::npos);
  // Nobody listening: worth retrying.
  const StoreError refused = attempt("postgresql://incursa:" + password + "@127.0.0.1:1/db");
  EXPECT_TRUE(refused.retryable()) << refused.what();
  EXPECT_EQ(std::string(refused.what()).find(password), std::string::npos);
  EXPECT_NE(std::string(refused.what()).find("postgresql store"), std::string::npos);
}

TEST_F(PgStore, AStatementTimeoutIsAPermanentErrorNamingTheCall) {
  PostgresStoreOptions o;
  o.statement_timeout = 300ms;
  const auto store = open_fresh_store(o);
  Tracker tracker(store);
  const OperationId id = tracker.start("Locked.Op").id;
  RawPg locker;
  locker.exec("BEGIN");
  locker.exec("SELECT 1 FROM \"" + store->schema() + "\".operations WHERE id = '" + id.value() +
              "' FOR UPDATE");
  try {
    tracker.heartbeat(id);
    FAIL() << "the row lock did not block";
  } catch (const StoreError& e) {
    EXPECT_FALSE(e.retryable()) << e.what();
    EXPECT_NE(std::string(e.what()).find("transition of operation " + id.value()),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("57014"), std::string::npos) << e.what();
  }
  locker.exec("ROLLBACK");
  EXPECT_EQ(tracker.heartbeat(id).version, 2);  // the connection is fine afterwards
}

TEST_F(PgStore, KilledConnectionsAreReplacedAndIdleOnesAreCheckedBeforeAWrite) {
  const std::string marker = unique_schema("app");
  PostgresStoreOptions o;
  o.conninfo = marked_conninfo(marker);
  o.schema = unique_schema("kill");
  const auto store = PostgresStore::open(o);
  Tracker tracker(store);
  const OperationId id = tracker.start("Kill.Op").id;
  tracker.heartbeat(id);  // Running: a further heartbeat writes no event (not idempotent)
  RawPg raw;
  const auto kill_all = [&] {
    // The timeout makes pg_terminate_backend wait until the backend is gone.
    return raw.scalar(
        "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE "
        "application_name = $1",
        {marker});
  };
  EXPECT_GE(kill_all(), 1);
  // The pooled connection is dead; a non-idempotent write must still go through
  // (the pool finds the corpse before sending), exactly once.
  EXPECT_EQ(tracker.heartbeat(id).version, 3);
  EXPECT_EQ(tracker.get_snapshot(id)->version, 3);
  const auto stats = store->stats();
  EXPECT_GE(stats.connections_discarded, 1U);
  EXPECT_GE(stats.connections_opened, 2U);
  // Reads retry through a dead connection too.
  EXPECT_GE(kill_all(), 1);
  EXPECT_EQ(tracker.get_snapshot(id)->version, 3);
}

// ---- idempotent retries ------------------------------------------------------------------

TEST_F(PgStore, ARepeatedTransitionWithTheSameKeysIsReportedNotReapplied) {
  const auto store = open_fresh_store();
  Tracker tracker(store);
  const OperationId id = tracker.start("Replay.Op").id;

  TransitionRequest add;
  add.id = id;
  add.allowed_from = StatusSet::all();
  add.at = truncate_to_micros(std::chrono::system_clock::now());
  add.status_event_key = "status-key-1";
  add.events.push_back({add.at, "step", "once", R"({"n":1})", "event-key-1"});
  const TransitionResult first = store->transition(add);
  ASSERT_EQ(first.outcome, TransitionOutcome::Applied);
  // As if the reply had been lost and the store sent the request again.
  const TransitionResult again = store->transition(add);
  EXPECT_EQ(again.outcome, TransitionOutcome::Applied);
  EXPECT_EQ(again.appended, first.appended);
  EXPECT_EQ(again.snapshot, first.snapshot);
  EXPECT_EQ(store->events(id, 0, 100).size(), 2U);

  // A status change alone is keyed by its status event.
  TransitionRequest complete;
  complete.id = id;
  complete.allowed_from = StatusSet::non_terminal();
  complete.changes.status = S::Succeeded;
  complete.changes.mark_completed = true;
  complete.at = add.at + 1s;
  complete.status_event_key = "status-key-2";
  const TransitionResult done = store->transition(complete);
  ASSERT_EQ(done.outcome, TransitionOutcome::Applied);
  const TransitionResult done_again = store->transition(complete);
  EXPECT_EQ(done_again.outcome, TransitionOutcome::Applied);
  EXPECT_EQ(done_again.appended, done.appended);
  EXPECT_EQ(store->get(id)->version, 3);
  EXPECT_EQ(store->events(id, 0, 100).size(), 3U);

  // insert: the same create twice creates once, and both say "created".
  OperationSnapshot s = sample("replayed-insert", add.at);
  const NewEvent ev = created_event(add.at, "create-key");
  EXPECT_TRUE(store->insert(s, ev).created);
  EXPECT_TRUE(store->insert(s, ev).created);
  EXPECT_FALSE(store->insert(s, created_event(add.at, "someone-else")).created);
  EXPECT_EQ(store->events(s.id, 0, 10).size(), 1U);
}

// A progress update or heartbeat is sent as one UPDATE that falls back to
// op_transition when it finds nothing to update in place; every other call as
// the function. Run against twin operations, the statement transition_statement()
// picks and the function itself must leave the same rows, the same events and
// the same decoded result, from every status, between and after the other kinds
// of call.
TEST_F(PgStore, AnUpdateInPlaceWritesExactlyWhatTheFunctionWrites) {
  using namespace postgres;
  const auto store = open_fresh_store();
  const Statements statements(quote_identifier(store->schema()));
  auto connection = Connection::open({conninfo()});
  const Timestamp t0 = truncate_to_micros(std::chrono::system_clock::now());

  auto request = [&](int step) {
    TransitionRequest r;
    r.at = t0 + std::chrono::seconds(step + 1);
    r.allowed_from = StatusSet::non_terminal();
    r.status_event_key = "status-" + std::to_string(step);
    switch (step) {
      case 0:  // update_progress
      case 1:  // heartbeat
      case 6:  // update_progress, once finished
        r.changes.status = S::Running;
        if (step != 1) {
          r.changes.percent = 55.5;
          r.changes.message = "halfway";
          r.changes.progress = StructuredProgress{5, 9, "files"};
          r.changes.mark_progress = true;
        }
        break;
      case 2:  // add_event, and step 3 the same request again (a replay)
      case 3:
        r.allowed_from = StatusSet::all();
        r.status_event_key = "event-s";
        r.events.push_back({r.at, "Checkpoint", "reached", R"({"n": 1})", "event"});
        r.events.push_back({r.at, "Note", std::nullopt, std::nullopt, "event-2"});
        break;
      case 4:  // request_cancel
        r.changes.request_cancel = true;
        r.changes.cancel_reason = "operator";
        r.events.push_back({r.at, "CancelRequested", "operator", std::nullopt, "cancel"});
        break;
      case 5:  // complete
        r.changes.status = S::Succeeded;
        r.changes.message = "done";
        r.changes.mark_completed = true;
        break;
      default:
        break;
    }
    return r;
  };

  for (const S from : {S::Pending, S::Running, S::Stalled, S::Succeeded, S::Canceled}) {
    const std::string name(to_string(from));
    for (const std::string twin : {"fn-", "sql-"}) {
      OperationSnapshot op = sample(twin + name, t0);
      op.status = from;
      op.percent = 10;
      if (is_terminal(from)) op.completed_at = t0;
      ASSERT_TRUE(store->insert(op, created_event(t0, twin + name + "-created")).created);
    }
    for (int step = 0; step < 7; ++step) {
      TransitionRequest r = request(step);
      const Statement& statement = transition_statement(statements, r, false);
      const bool in_place = step == 0 || step == 1 || step == 6;
      ASSERT_EQ(statement.name,
                in_place ? statements.transition_in_place.name : statements.transition.name)
          << step;
      r.id = OperationId::parse("fn-" + name);
      const DecodedTransition by_function = decode_transition(
          connection->run(statements.transition, transition_params(r, false)), r, false);
      r.id = OperationId::parse("sql-" + name);
      const DecodedTransition by_sql =
          decode_transition(connection->run(statement, transition_params(r, false)), r, false);

      SCOPED_TRACE(name + " step " + std::to_string(step) + " " + statement.name);
      EXPECT_EQ(by_sql.result.outcome, by_function.result.outcome);
      EXPECT_EQ(by_sql.replayed, by_function.replayed);
      ASSERT_EQ(by_sql.result.snapshot.has_value(), by_function.result.snapshot.has_value());
      OperationSnapshot renamed = *by_sql.result.snapshot;
      renamed.id = by_function.result.snapshot->id;
      EXPECT_EQ(renamed, *by_function.result.snapshot);
      EXPECT_EQ(*store->get(OperationId::parse("sql-" + name)), *by_sql.result.snapshot);
      ASSERT_EQ(by_sql.result.appended.size(), by_function.result.appended.size());
      for (std::size_t i = 0; i < by_sql.result.appended.size(); ++i) {
        OperationEvent e = by_sql.result.appended[i];
        e.operation_id = by_function.result.appended[i].operation_id;
        EXPECT_EQ(e, by_function.result.appended[i]);
      }
    }
    const auto fn_events = store->events(OperationId::parse("fn-" + name), 0, 100);
    const auto sql_events = store->events(OperationId::parse("sql-" + name), 0, 100);
    ASSERT_EQ(sql_events.size(), fn_events.size()) << name;
    for (std::size_t i = 0; i < fn_events.size(); ++i) {
      OperationEvent e = sql_events[i];
      e.operation_id = fn_events[i].operation_id;
      if (i == 0) e.key = fn_events[i].key;  // the created events' keys differ
      EXPECT_EQ(e, fn_events[i]) << name << " event " << i;
    }
  }
  // Which branch ran: with a stale condition smuggled into the parameters (which
  // transition_statement() never lets through), the function answers NotStale
  // and the UPDATE, which ignores it, applies. So a Running operation is
  // updated in place, and a Pending one (its status would change) by the
  // function. (By now the loop above has left every twin terminal.)
  for (const char* id : {"running", "pending"}) {
    OperationSnapshot op = sample(id, t0);
    op.status = std::string(id) == "running" ? S::Running : S::Pending;
    ASSERT_TRUE(store->insert(op, created_event(t0, std::string(id) + "-created")).created);
  }
  auto outcome_with_stale_check = [&](const Statement& statement, const char* id) {
    TransitionRequest r = request(0);
    r.id = OperationId::parse(id);
    Params params = transition_params(r, false);
    params[2] = "Activity";
    params[3] = format_timestamp(t0 - 1h);
    params[4] = "1 hour";
    return decode_transition(connection->run(statement, params), r, false).result.outcome;
  };
  EXPECT_EQ(outcome_with_stale_check(statements.transition, "running"),
            TransitionOutcome::NotStale);
  EXPECT_EQ(outcome_with_stale_check(statements.transition_in_place, "running"),
            TransitionOutcome::Applied);
  EXPECT_EQ(outcome_with_stale_check(statements.transition_in_place, "pending"),
            TransitionOutcome::NotStale);

  // No such operation: the function's answer.
  TransitionRequest missing;
  missing.id = OperationId::parse("missing");
  missing.allowed_from = StatusSet::non_terminal();
  missing.changes.status = S::Running;
  missing.at = t0;
  EXPECT_EQ(decode_transition(
                connection->run(statements.transition_in_place, transition_params(missing, false)),
                missing, false)
                .result.outcome,
            TransitionOutcome::NotFound);
}

TEST_F(PgStore, AWriteWithoutKeysIsNotIdempotentWhichIsWhyItIsNotRetriedBlindly) {
  const auto store = open_fresh_store();
  Tracker tracker(store);
  const OperationId id = tracker.start("Plain.Op").id;
  tracker.heartbeat(id);
  TransitionRequest beat;
  beat.id = id;
  beat.allowed_from = StatusSet::non_terminal();
  beat.changes.status = S::Running;
  beat.at = truncate_to_micros(std::chrono::system_clock::now());
  beat.status_event_key = "unused";
  EXPECT_EQ(store->transition(beat).snapshot->version, 3);
  EXPECT_EQ(store->transition(beat).snapshot->version, 4);  // applied twice
}

// ---- the pool ---------------------------------------------------------------------------

TEST_F(PgStore, ThePoolStaysWithinItsBoundUnderLoad) {
  PostgresStoreOptions o;
  o.pool_size = 2;
  const auto store = open_fresh_store(o);
  Tracker tracker(store);
  const OperationId id = tracker.start("Pool.Op").id;
  run_together(8, [&](int) {
    for (int i = 0; i < 50; ++i) {
      tracker.add_event(id, "e");
      EXPECT_TRUE(tracker.get_snapshot(id).has_value());
    }
  });
  const auto stats = store->stats();
  EXPECT_LE(stats.open_connections, 2U);
  EXPECT_LE(stats.connections_opened, 2U);
  EXPECT_EQ(tracker.get_snapshot(id)->version, 1 + 8 * 50);
}

TEST_F(PgStore, ACallWaitingTooLongForAConnectionFailsRetryably) {
  PostgresStoreOptions o;
  o.pool_size = 1;
  o.pool_wait_timeout = 200ms;
  const auto store = open_fresh_store(o);
  Tracker tracker(store);
  const OperationId id = tracker.start("Busy.Op").id;
  RawPg locker;
  locker.exec("BEGIN");
  locker.exec("SELECT 1 FROM \"" + store->schema() + "\".operations WHERE id = '" + id.value() +
              "' FOR UPDATE");
  std::thread holder([&] {
    // Holds the only connection until the lock goes (if it lost the race for the
    // connection to the loop below, it asks again).
    for (int i = 0; i < 100; ++i) {
      try {
        tracker.heartbeat(id);
        return;
      } catch (const StoreError&) {
      }
    }
  });
  // Until the holder has the connection, calls succeed; then one has to wait for
  // it, the full 200 ms, and fails.
  bool waited_out = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!waited_out && std::chrono::steady_clock::now() < deadline) {
    try {
      (void)store->get(id);
    } catch (const StoreError& e) {
      EXPECT_TRUE(e.retryable());
      EXPECT_NE(std::string(e.what()).find("busy"), std::string::npos) << e.what();
      waited_out = true;
    }
  }
  locker.exec("ROLLBACK");
  holder.join();
  EXPECT_TRUE(waited_out);
  EXPECT_EQ(tracker.get_snapshot(id)->version, 2);
}

}  // namespace
}  // namespace incursa::platform::testing
