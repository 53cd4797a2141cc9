// bench/lifecycle: the standard lifecycle through the library, and in the same
// run the same statements through the bare client (docs/performance.md).
//
//   lifecycle --store URI [--workers N] [--ops M] [--runs R] [--coalesce]
//             [--raw-only | --no-raw] [--ceiling K]
//
// One lifecycle = 14 calls: start, 5 progress updates, an event, 5 progress
// updates, an event, complete. N worker threads share M operations; each runs
// one operation's calls one after another, as a service's worker would.
//
// Stores:
//   memory:              the in-memory store (no raw baseline)
//   sqlite:PATH[?…]      the library writes PATH.lib<run>, the raw baseline
//                        PATH.raw<run> (fresh files, deleted after the run). The
//                        raw baseline is the sqlite3 C API: WAL, one connection per
//                        worker, BEGIN IMMEDIATE … COMMIT per call, at the URI's
//                        synchronous setting (default FULL, as the store's).
//   postgresql://…       the library writes the schema bench_lifecycle (the URI's
//                        other options as given; dropped before and after each
//                        run, so it starts as fresh as the raw tables); the raw
//                        baseline uses libpq with one connection per worker, one
//                        prepared statement per call in autocommit, on its own
//                        tables (bench_raw_ops, bench_raw_events, recreated per run).
//
// Prints each run (ops/s, calls/s, p50/p99 call latency, CPU per call,
// library/raw ratio) and, with --runs > 1, the medians. Exit 0 when every library
// call succeeded, 1 when any failed, 2 for bad arguments. Failures of the raw
// baseline are printed, not fatal. --coalesce runs the library calls through a
// CoalescingTracker (default 250 ms window); the raw baseline is unchanged.
// --ceiling K (SQLite only) adds a third line per run: the bare client on one
// connection committing K whole lifecycles per transaction -- the most these
// statements can do on this machine, whatever the store does.
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "incursa/platform/operations/coalescing_tracker.hpp"
#include "incursa/platform/platform.hpp"
#include "incursa/platform/stores/sqlite_store.hpp"

#ifdef INCURSA_BENCH_HAVE_PQ
#include <libpq-fe.h>

#include "incursa/platform/stores/postgres_store.hpp"
#endif

namespace ip = incursa::platform;
namespace bench = incursa::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kCallsPerOperation = 14;

struct Result {
  double seconds = 0;
  std::int64_t operations = 0;
  std::int64_t calls = 0;
  std::int64_t failures = 0;
  std::string first_error;
  std::vector<std::int64_t> latencies_ns;  // sorted
  double cpu_seconds = 0;                  // user + system time of the whole process
  std::int64_t context_switches = 0;       // voluntary + involuntary, whole process

  double ops_per_s() const { return seconds > 0 ? static_cast<double>(operations) / seconds : 0; }
  double calls_per_s() const { return seconds > 0 ? static_cast<double>(calls) / seconds : 0; }
  double p50_us() const { return static_cast<double>(bench::percentile(latencies_ns, 50)) / 1000; }
  double p99_us() const { return static_cast<double>(bench::percentile(latencies_ns, 99)) / 1000; }
  // CPU time per call: less sensitive to a loaded machine than the rates.
  double cpu_us_per_call() const {
    return calls > 0 ? cpu_seconds * 1e6 / static_cast<double>(calls) : 0;
  }
};

struct Usage {
  double cpu_seconds = 0;
  std::int64_t switches = 0;
  static Usage now() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const auto secs = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return Usage{secs(u.ru_utime) + secs(u.ru_stime), u.ru_nvcsw + u.ru_nivcsw};
  }
};

// Per-thread recorder of call latencies.
struct Recorder {
  std::vector<std::int64_t> latencies_ns;
  template <class F>
  void call(F&& f) {
    const auto t0 = Clock::now();
    f();
    latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
  }
};

// Runs `lifecycle(recorder)` `ops` times across `workers` threads. Each worker
// gets `make_worker()` first (a connection for the raw baselines).
template <class Worker>
Result run_workers(int workers, std::int64_t ops, const std::function<Worker()>& make_worker,
                   const std::function<void(Worker&, Recorder&, std::int64_t)>& lifecycle) {
  Result result;
  std::atomic<std::int64_t> next{0};
  std::mutex merge;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Worker>> states;
  for (int i = 0; i < workers; ++i) states.push_back(std::make_unique<Worker>(make_worker()));
  const Usage u0 = Usage::now();
  const auto t0 = Clock::now();
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      Recorder recorder;
      recorder.latencies_ns.reserve(static_cast<std::size_t>(ops / workers + 1) *
                                    kCallsPerOperation);
      std::int64_t done = 0;
      std::int64_t failures = 0;
      std::string error;
      for (;;) {
        const std::int64_t n = next.fetch_add(1);
        if (n >= ops) break;
        try {
          lifecycle(*states[static_cast<std::size_t>(i)], recorder, n);
          ++done;
        } catch (const std::exception& e) {
          ++failures;
          if (error.empty()) error = e.what();
        }
      }
      std::lock_guard lock(merge);
      result.operations += done;
      result.failures += failures;
      if (result.first_error.empty()) result.first_error = error;
      result.latencies_ns.insert(result.latencies_ns.end(), recorder.latencies_ns.begin(),
                                 recorder.latencies_ns.end());
    });
  }
  for (auto& t : threads) t.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const Usage u1 = Usage::now();
  result.cpu_seconds = u1.cpu_seconds - u0.cpu_seconds;
  result.context_switches = u1.switches - u0.switches;
  result.calls = static_cast<std::int64_t>(result.latencies_ns.size());
  std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
  return result;
}

// ---------------------------------------------------------------------------
// The library run.

struct NoState {};

Result run_library(const std::string& uri, int workers, std::int64_t ops, bool coalesce) {
  auto store = ip::open_store(uri);
  std::shared_ptr<ip::OperationTracker> owner;
  if (coalesce) {
    owner = ip::CoalescingTracker::over(store);  // default window, background flusher
  } else {
    owner = std::make_shared<ip::Tracker>(store);
  }
  ip::OperationTracker& tracker = *owner;
  const std::string data = R"({"step":1,"note":"checkpoint"})";
  return run_workers<NoState>(
      workers, ops, [] { return NoState{}; },
      [&](NoState&, Recorder& r, std::int64_t) {
        ip::OperationId id;
        r.call([&] { id = tracker.start("Bench.Lifecycle").id; });
        for (int k = 0; k < 10; ++k) {
          ip::ProgressUpdate update;
          update.percent = (k + 1) * 9.0;
          update.message = "step " + std::to_string(k + 1);
          r.call([&] { tracker.update_progress(id, update); });
          if (k == 4 || k == 9) {
            r.call([&] { tracker.add_event(id, "Checkpoint", "checkpoint reached", data); });
          }
        }
        r.call([&] { tracker.complete(id, ip::OperationStatus::Succeeded, "done"); });
      });
}

// ---------------------------------------------------------------------------
// Raw SQLite: the sqlite3 C API, no library.

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A time-ordered 32-hex id, as the library's (but made here).
std::string raw_id() {
  static std::atomic<std::uint64_t> counter{0};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(now_us()),
                static_cast<unsigned long long>(counter.fetch_add(1)));
  return buf;
}

constexpr const char* kRawSqliteSchema = R"sql(
CREATE TABLE ops (
  id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
  started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_progress_at INTEGER NOT NULL,
  completed_at INTEGER, percent REAL, message TEXT, tags_json TEXT NOT NULL DEFAULT '{}',
  version INTEGER NOT NULL, last_sequence INTEGER NOT NULL);
CREATE INDEX ops_stale_activity ON ops (updated_at, id) WHERE status IN ('Pending','Running');
CREATE INDEX ops_stale_progress ON ops (last_progress_at, id) WHERE status IN ('Pending','Running');
CREATE INDEX ops_by_name ON ops (name, started_at);
CREATE INDEX ops_by_started ON ops (started_at, id);
CREATE INDEX ops_by_status ON ops (status, started_at);
CREATE INDEX ops_purgeable ON ops (completed_at, id)
  WHERE status = 'Succeeded' OR status = 'Failed' OR status = 'Canceled';
CREATE TABLE events (
  op_id TEXT NOT NULL, sequence INTEGER NOT NULL, occurred_at INTEGER NOT NULL, kind TEXT NOT NULL,
  message TEXT, data_json TEXT, key TEXT NOT NULL,
  PRIMARY KEY (op_id, sequence), UNIQUE (op_id, key)) WITHOUT ROWID;
CREATE INDEX events_by_time ON events (occurred_at);
)sql";

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(std::string("raw sqlite: ") + what + ": " + sqlite3_errmsg(db));
  }
}

class RawSqlite {
 public:
  // `create`: make the schema first (the first connection of a run).
  // `own_transactions` false: the caller brackets many calls in one transaction
  // (the ceiling run); each call then skips its BEGIN and COMMIT.
  RawSqlite(const std::string& path, bool full, bool create = false, bool own_transactions = true)
      : own_transactions_(own_transactions) {
    check(
        nullptr,
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        "open");
    sqlite3_busy_timeout(db_, 10000);
    exec("PRAGMA journal_mode = WAL");
    exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (create) exec(kRawSqliteSchema);
    insert_op_ = prepare(
        "INSERT INTO ops (id, name, status, started_at, updated_at, last_progress_at, version, "
        "last_sequence) VALUES (?1, ?2, 'Pending', ?3, ?3, ?3, 1, 1)");
    insert_event_ = prepare(
        "INSERT INTO events (op_id, sequence, occurred_at, kind, message, data_json, key) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    select_ = prepare("SELECT status, version, last_sequence FROM ops WHERE id = ?1");
    update_ = prepare(
        "UPDATE ops SET status = ?3, updated_at = ?4, last_progress_at = COALESCE(?5, "
        "last_progress_at), completed_at = COALESCE(?6, completed_at), "
        "percent = COALESCE(?7, percent), message = COALESCE(?8, message), version = ?9, "
        "last_sequence = ?10 WHERE id = ?1 AND version = ?2");
  }
  RawSqlite(RawSqlite&& other) noexcept
      : own_transactions_(other.own_transactions_),
        db_(std::exchange(other.db_, nullptr)),
        insert_op_(other.insert_op_),
        insert_event_(other.insert_event_),
        select_(other.select_),
        update_(other.update_) {}
  RawSqlite(const RawSqlite&) = delete;
  ~RawSqlite() {
    if (!db_) return;
    for (sqlite3_stmt* s : {insert_op_, insert_event_, select_, update_}) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  void exec(const char* sql) { check(db_, sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), sql); }

  void start(const std::string& id) {
    const std::int64_t at = now_us();
    begin();
    try {
      bind_text(insert_op_, 1, id);
      bind_text(insert_op_, 2, "Bench.Lifecycle");
      sqlite3_bind_int64(insert_op_, 3, at);
      step(insert_op_);
      event(id, 1, at, "status", "Pending", nullptr, raw_id());
      commit();
    } catch (...) {
      rollback();
      throw;
    }
  }

  // One conditional write: read status/version under the write lock, update,
  // append the status event (if the status changes) and the caller's event.
  void transition(const std::string& id, const char* allowed_a, const char* allowed_b,
                  const char* target, bool progress, bool completes, std::optional<double> percent,
                  const char* message, const char* event_kind, const char* event_message,
                  const char* event_data) {
    const std::int64_t at = now_us();
    begin();
    try {
      bind_text(select_, 1, id);
      if (sqlite3_step(select_) != SQLITE_ROW) {
        sqlite3_reset(select_);
        throw std::runtime_error("raw sqlite: no operation " + id);
      }
      const std::string status = reinterpret_cast<const char*>(sqlite3_column_text(select_, 0));
      const std::int64_t version = sqlite3_column_int64(select_, 1);
      std::int64_t sequence = sqlite3_column_int64(select_, 2);
      sqlite3_reset(select_);
      if (status != allowed_a && status != allowed_b) {
        throw std::runtime_error("raw sqlite: transition from " + status + " refused");
      }
      const std::string next = target ? target : status;
      const bool status_event = next != status;
      const std::int64_t last = sequence + (status_event ? 1 : 0) + (event_kind ? 1 : 0);
      bind_text(update_, 1, id);
      sqlite3_bind_int64(update_, 2, version);
      bind_text(update_, 3, next);
      sqlite3_bind_int64(update_, 4, at);
      if (progress) {
        sqlite3_bind_int64(update_, 5, at);
      } else {
        sqlite3_bind_null(update_, 5);
      }
      if (completes) {
        sqlite3_bind_int64(update_, 6, at);
      } else {
        sqlite3_bind_null(update_, 6);
      }
      if (percent) {
        sqlite3_bind_double(update_, 7, *percent);
      } else {
        sqlite3_bind_null(update_, 7);
      }
      if (message) {
        bind_text(update_, 8, message);
      } else {
        sqlite3_bind_null(update_, 8);
      }
      sqlite3_bind_int64(update_, 9, version + 1);
      sqlite3_bind_int64(update_, 10, last);
      step(update_);
      if (status_event) {
        const std::string text = status + " -> " + next;
        event(id, ++sequence, at, "status", text.c_str(), nullptr, raw_id());
      }
      if (event_kind) event(id, ++sequence, at, event_kind, event_message, event_data, raw_id());
      commit();
    } catch (...) {
      rollback();
      throw;
    }
  }

 private:
  void begin() {
    if (own_transactions_) exec("BEGIN IMMEDIATE");
  }
  void commit() {
    if (own_transactions_) exec("COMMIT");
  }
  void rollback() {
    if (own_transactions_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    check(db_, sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr), sql);
    return stmt;
  }
  static void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void step(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    check(db_, rc, "step");
  }
  void event(const std::string& id, std::int64_t sequence, std::int64_t at, const char* kind,
             const char* message, const char* data, const std::string& key) {
    bind_text(insert_event_, 1, id);
    sqlite3_bind_int64(insert_event_, 2, sequence);
    sqlite3_bind_int64(insert_event_, 3, at);
    bind_text(insert_event_, 4, kind);
    if (message) {
      bind_text(insert_event_, 5, message);
    } else {
      sqlite3_bind_null(insert_event_, 5);
    }
    if (data) {
      bind_text(insert_event_, 6, data);
    } else {
      sqlite3_bind_null(insert_event_, 6);
    }
    bind_text(insert_event_, 7, key);
    step(insert_event_);
  }

  bool own_transactions_ = true;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_op_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
  sqlite3_stmt* update_ = nullptr;
};

void remove_sqlite_files(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ec);
  }
}

// The standard lifecycle's 14 calls through the bare client.
void raw_sqlite_lifecycle(RawSqlite& db, Recorder& rec) {
  static const std::string data = R"({"step":1,"note":"checkpoint"})";
  const std::string id = raw_id();
  rec.call([&] { db.start(id); });
  for (int k = 0; k < 10; ++k) {
    const std::string message = "step " + std::to_string(k + 1);
    rec.call([&] {
      db.transition(id, "Pending", "Running", "Running", true, false, (k + 1) * 9.0,
                    message.c_str(), nullptr, nullptr, nullptr);
    });
    if (k == 4 || k == 9) {
      rec.call([&] {
        db.transition(id, "Pending", "Running", nullptr, false, false, std::nullopt, nullptr,
                      "Checkpoint", "checkpoint reached", data.c_str());
      });
    }
  }
  rec.call([&] {
    db.transition(id, "Pending", "Running", "Succeeded", false, true, std::nullopt, "done", nullptr,
                  nullptr, nullptr);
  });
}

Result run_raw_sqlite(const std::string& path, bool full, int workers, std::int64_t ops) {
  remove_sqlite_files(path);
  { RawSqlite setup(path, full, true); }
  Result r = run_workers<RawSqlite>(
      workers, ops, [&] { return RawSqlite(path, full); },
      [&](RawSqlite& db, Recorder& rec, std::int64_t) { raw_sqlite_lifecycle(db, rec); });
  remove_sqlite_files(path);
  return r;
}

// The schema's ceiling: one connection, `per_transaction` whole lifecycles per
// transaction (the issue's "1,000 operations per transaction" row). No store can
// commit these statements faster on this machine; the group commit is judged
// against it as well as against the per-call baseline.
Result run_raw_sqlite_ceiling(const std::string& path, bool full, std::int64_t ops,
                              std::int64_t per_transaction) {
  remove_sqlite_files(path);
  { RawSqlite setup(path, full, true); }
  Result r = run_workers<RawSqlite>(
      1, ops, [&] { return RawSqlite(path, full, false, false); },
      [&](RawSqlite& db, Recorder& rec, std::int64_t n) {
        if (n % per_transaction == 0) db.exec("BEGIN IMMEDIATE");
        raw_sqlite_lifecycle(db, rec);
        if (n % per_transaction == per_transaction - 1 || n == ops - 1) db.exec("COMMIT");
      });
  remove_sqlite_files(path);
  return r;
}

// ---------------------------------------------------------------------------
// Raw PostgreSQL: libpq, no library.

// The library's schema, as fresh for each run as the raw baseline's tables: on
// a schema that kept every earlier run's rows (and their dead versions) the
// library was measured against a bigger, bloated table than the baseline.
constexpr const char* kPgLibrarySchema = "bench_lifecycle";

#ifdef INCURSA_BENCH_HAVE_PQ

constexpr const char* kRawPgSchema = R"sql(
DROP TABLE IF EXISTS bench_raw_events;
DROP TABLE IF EXISTS bench_raw_ops;
CREATE TABLE bench_raw_ops (
  id text PRIMARY KEY, name text NOT NULL, status text NOT NULL,
  started_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
  last_progress_at timestamptz NOT NULL, completed_at timestamptz, percent double precision,
  message text, tags jsonb NOT NULL DEFAULT '{}', version bigint NOT NULL,
  last_sequence bigint NOT NULL);
CREATE INDEX bench_raw_ops_stale ON bench_raw_ops (updated_at, id) WHERE status IN ('Pending','Running');
CREATE INDEX bench_raw_ops_stale_p ON bench_raw_ops (last_progress_at, id) WHERE status IN ('Pending','Running');
CREATE INDEX bench_raw_ops_name ON bench_raw_ops (name, started_at);
CREATE INDEX bench_raw_ops_started ON bench_raw_ops (started_at, id);
CREATE INDEX bench_raw_ops_status ON bench_raw_ops (status, started_at);
CREATE INDEX bench_raw_ops_purge ON bench_raw_ops (completed_at, id) WHERE status IN ('Succeeded','Failed','Canceled');
CREATE TABLE bench_raw_events (
  op_id text NOT NULL, sequence bigint NOT NULL, occurred_at timestamptz NOT NULL,
  kind text NOT NULL, message text, data jsonb, key text NOT NULL,
  PRIMARY KEY (op_id, sequence), UNIQUE (op_id, key));
CREATE INDEX bench_raw_events_time ON bench_raw_events (occurred_at);
)sql";

// One statement per call, each in autocommit: the conditional update and the
// event inserts in one CTE (status checked in the UPDATE's WHERE).
constexpr const char* kPgStart =
    "WITH o AS (INSERT INTO bench_raw_ops (id, name, status, started_at, updated_at, "
    "last_progress_at, version, last_sequence) VALUES ($1, $2, 'Pending', now(), now(), now(), 1, "
    "1) RETURNING id) INSERT INTO bench_raw_events SELECT id, 1, now(), 'status', 'Pending', NULL, "
    "$3 FROM o";
// $1 id, $2 target status (NULL: keep), $3 percent, $4 message, $5 mark progress,
// $6 completes, $7 event kind (NULL: none), $8 event message, $9 event data,
// $10 status event key, $11 event key.
constexpr const char* kPgTransition =
    "WITH cur AS (SELECT id, status AS old_status FROM bench_raw_ops WHERE id = $1 AND status IN "
    "('Pending','Running') FOR UPDATE), "
    "u AS (UPDATE bench_raw_ops o SET status = COALESCE($2, o.status), updated_at = now(), "
    "last_progress_at = CASE WHEN $5 THEN now() ELSE o.last_progress_at END, "
    "completed_at = CASE WHEN $6 THEN now() ELSE o.completed_at END, "
    "percent = COALESCE($3, o.percent), message = COALESCE($4, o.message), version = o.version + "
    "1, last_sequence = o.last_sequence + (CASE WHEN COALESCE($2, o.status) <> o.status THEN 1 "
    "ELSE 0 END) + (CASE WHEN $7::text IS NULL THEN 0 ELSE 1 END) "
    "FROM cur WHERE o.id = cur.id RETURNING o.id, cur.old_status, o.status, o.last_sequence), "
    "se AS (INSERT INTO bench_raw_events SELECT id, last_sequence - (CASE WHEN $7::text IS NULL "
    "THEN 0 ELSE 1 END), now(), 'status', old_status || ' -> ' || status, NULL, $10 FROM u WHERE "
    "status <> old_status) "
    "INSERT INTO bench_raw_events SELECT id, last_sequence, now(), $7, $8, $9::jsonb, $11 FROM u "
    "WHERE $7::text IS NOT NULL";

class RawPg {
 public:
  // `prepare`: false for the set-up connection, which runs before the tables exist.
  explicit RawPg(const std::string& conninfo, bool prepare = true)
      : conn_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) fail("connect");
    if (!prepare) return;
    PGresult* r = PQprepare(conn_, "start", kPgStart, 0, nullptr);
    ok(r, "prepare start");
    r = PQprepare(conn_, "transition", kPgTransition, 0, nullptr);
    ok(r, "prepare transition");
  }
  RawPg(RawPg&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  RawPg(const RawPg&) = delete;
  ~RawPg() {
    if (conn_) PQfinish(conn_);
  }

  void exec(const char* sql) { ok(PQexec(conn_, sql), "exec"); }

  void start(const std::string& id) {
    const std::string key = raw_id();
    const char* params[] = {id.c_str(), "Bench.Lifecycle", key.c_str()};
    ok(PQexecPrepared(conn_, "start", 3, params, nullptr, nullptr, 0), "start");
  }

  void transition(const std::string& id, const char* target, const char* percent,
                  const char* message, bool progress, bool completes, const char* kind,
                  const char* event_message, const char* data) {
    const std::string k1 = raw_id();
    const std::string k2 = raw_id();
    const char* params[] = {id.c_str(),
                            target,
                            percent,
                            message,
                            progress ? "t" : "f",
                            completes ? "t" : "f",
                            kind,
                            event_message,
                            data,
                            k1.c_str(),
                            k2.c_str()};
    PGresult* r = PQexecPrepared(conn_, "transition", 11, params, nullptr, nullptr, 0);
    ok(r, "transition");
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("raw postgres: ") + what + ": " + PQerrorMessage(conn_));
  }
  void ok(PGresult* r, const char* what) {
    const auto status = PQresultStatus(r);
    PQclear(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(what);
  }
  PGconn* conn_;
};

void drop_pg_library_schema(const std::string& uri) {
  RawPg setup(ip::PostgresStore::parse_uri(uri).conninfo, /*prepare=*/false);
  setup.exec("SET client_min_messages = warning");
  setup.exec((std::string("DROP SCHEMA IF EXISTS ") + kPgLibrarySchema + " CASCADE").c_str());
}

Result run_raw_pg(const std::string& uri, int workers, std::int64_t ops) {
  const std::string conninfo = ip::PostgresStore::parse_uri(uri).conninfo;
  {
    RawPg setup(conninfo, /*prepare=*/false);
    setup.exec("SET client_min_messages = warning");
    setup.exec(kRawPgSchema);
  }
  const std::string data = R"({"step":1,"note":"checkpoint"})";
  return run_workers<RawPg>(
      workers, ops, [&] { return RawPg(conninfo); },
      [&](RawPg& db, Recorder& rec, std::int64_t) {
        const std::string id = raw_id();
        rec.call([&] { db.start(id); });
        for (int k = 0; k < 10; ++k) {
          const std::string message = "step " + std::to_string(k + 1);
          const std::string percent = std::to_string((k + 1) * 9.0);
          rec.call([&] {
            db.transition(id, "Running", percent.c_str(), message.c_str(), true, false, nullptr,
                          nullptr, nullptr);
          });
          if (k == 4 || k == 9) {
            rec.call([&] {
              db.transition(id, nullptr, nullptr, nullptr, false, false, "Checkpoint",
                            "checkpoint reached", data.c_str());
            });
          }
        }
        rec.call([&] {
          db.transition(id, "Succeeded", nullptr, "done", false, true, nullptr, nullptr, nullptr);
        });
      });
}

#endif

// ---------------------------------------------------------------------------

struct StoreTarget {
  enum class Kind { Memory, Sqlite, Postgres } kind = Kind::Memory;
  std::string uri;
  std::string sqlite_path;   // Sqlite: the path in the URI
  std::string sqlite_query;  // Sqlite: "?…" or empty
  bool sqlite_full = true;

  std::string library_uri(int run) const {
    if (kind == Kind::Postgres) {
      // Not a schema the URI names: only this one is dropped.
      return bench::with_postgres_schema(uri, kPgLibrarySchema);
    }
    if (kind != Kind::Sqlite) return uri;
    return "sqlite:" + sqlite_path + ".lib" + std::to_string(run) + sqlite_query;
  }
  std::string library_file(int run) const { return sqlite_path + ".lib" + std::to_string(run); }
  std::string raw_file(int run) const { return sqlite_path + ".raw" + std::to_string(run); }
};

StoreTarget parse_target(const std::string& uri) {
  StoreTarget t;
  t.uri = uri;
  if (uri == "memory:" || uri == "memory") {
    t.kind = StoreTarget::Kind::Memory;
    t.uri = "memory:";
  } else if (uri.starts_with("sqlite:")) {
    t.kind = StoreTarget::Kind::Sqlite;
    const ip::SqliteStoreOptions options = ip::SqliteStore::parse_uri(uri);
    if (options.path == ":memory:") {
      throw std::invalid_argument("--store: give a file path (the benchmark measures commits)");
    }
    t.sqlite_path = options.path;
    t.sqlite_full = options.synchronous == ip::SqliteStoreOptions::Synchronous::Full;
    if (const auto q = uri.find('?'); q != std::string::npos) t.sqlite_query = uri.substr(q);
  } else if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
#ifdef INCURSA_BENCH_HAVE_PQ
    t.kind = StoreTarget::Kind::Postgres;
#else
    throw std::invalid_argument("this build has no PostgreSQL support");
#endif
  } else {
    throw std::invalid_argument("--store must be memory:, sqlite:PATH or postgresql://…");
  }
  return t;
}

void print_result(const char* label, const Result& r) {
  std::printf(
      "  %-8s ops/s %10.0f  calls/s %11.0f  p50 %9.1f us  p99 %9.1f us  cpu %6.1f us/call  "
      "(%lld ops in %.2f s, %.1f context switches/call",
      label, r.ops_per_s(), r.calls_per_s(), r.p50_us(), r.p99_us(), r.cpu_us_per_call(),
      static_cast<long long>(r.operations), r.seconds,
      r.calls > 0 ? static_cast<double>(r.context_switches) / static_cast<double>(r.calls) : 0.0);
  if (r.failures > 0) {
    std::printf(", %lld FAILED: %s", static_cast<long long>(r.failures), r.first_error.c_str());
  }
  std::printf(")\n");
  std::fflush(stdout);
}

struct Series {
  std::vector<double> ops, calls, p50, p99, cpu;
  void add(const Result& r) {
    ops.push_back(r.ops_per_s());
    calls.push_back(r.calls_per_s());
    p50.push_back(r.p50_us());
    p99.push_back(r.p99_us());
    cpu.push_back(r.cpu_us_per_call());
  }
  void print_median(const char* label) const {
    std::printf(
        "  %-8s ops/s %10.0f  calls/s %11.0f  p50 %9.1f us  p99 %9.1f us  cpu %6.1f us/call\n",
        label, bench::median(ops), bench::median(calls), bench::median(p50), bench::median(p99),
        bench::median(cpu));
  }
};

}  // namespace

int main(int argc, char** argv) {
  StoreTarget target;
  int workers = 1;
  std::int64_t ops = 1000;
  int runs = 1;
  bool library = true;
  bool raw = true;
  bool coalesce = false;
  std::int64_t ceiling = 0;
  try {
    bench::Args args(argc, argv);
    if (args.flag("--help") || args.flag("-h")) {
      std::puts(
          "usage: lifecycle --store URI [--workers N] [--ops M] [--runs R] [--coalesce] "
          "[--raw-only|--no-raw] [--ceiling K]");
      return 0;
    }
    target = parse_target(args.value("--store", "memory:"));
    workers = static_cast<int>(args.number("--workers", 1));
    ops = args.number("--ops", 1000);
    runs = static_cast<int>(args.number("--runs", 1));
    coalesce = args.flag("--coalesce");
    ceiling = args.number("--ceiling", 0, 0);
    const bool raw_only = args.flag("--raw-only");
    const bool no_raw = args.flag("--no-raw");
    args.finish();
    if (raw_only && no_raw)
      throw std::invalid_argument("--raw-only and --no-raw exclude each other");
    library = !raw_only;
    raw = !no_raw && target.kind != StoreTarget::Kind::Memory;
    if (raw_only && !raw)
      throw std::invalid_argument("--raw-only: the memory store has no raw baseline");
    if (ceiling > 0 && target.kind != StoreTarget::Kind::Sqlite)
      throw std::invalid_argument("--ceiling: SQLite only");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lifecycle: %s\n", e.what());
    return 2;
  }

  std::printf("lifecycle: store %s%s, %d worker(s), %lld operations x %d calls, %d run(s)%s\n",
              target.uri.c_str(), coalesce ? " (progress coalescing on)" : "", workers,
              static_cast<long long>(ops), kCallsPerOperation, runs,
              target.kind == StoreTarget::Kind::Sqlite
                  ? (target.sqlite_full ? ", synchronous=FULL" : ", synchronous=NORMAL")
                  : "");
  std::printf("machine: %u hardware threads, load average %s at start\n",
              std::thread::hardware_concurrency(), bench::load_average().c_str());

  Series lib_series;
  Series raw_series;
  Series ceiling_series;
  std::vector<double> ratios;
  bool failed = false;
  for (int run = 1; run <= runs; ++run) {
    std::printf("run %d (load %s)\n", run, bench::load_average().c_str());
    std::optional<Result> lib;
    std::optional<Result> base;
    // Odd runs measure the library first, even runs the raw baseline first, so
    // neither always gets the quieter disk.
    const auto measure_library = [&] {
      if (!library) return;
      const auto fresh = [&] {
        if (target.kind == StoreTarget::Kind::Sqlite) remove_sqlite_files(target.library_file(run));
#ifdef INCURSA_BENCH_HAVE_PQ
        if (target.kind == StoreTarget::Kind::Postgres) drop_pg_library_schema(target.uri);
#endif
      };
      fresh();
      lib = run_library(target.library_uri(run), workers, ops, coalesce);
      fresh();
      print_result(coalesce ? "library+c" : "library", *lib);
      lib_series.add(*lib);
      failed = failed || lib->failures > 0;
    };
    const auto measure_raw = [&] {
      if (!raw) return;
      if (target.kind == StoreTarget::Kind::Sqlite) {
        base = run_raw_sqlite(target.raw_file(run), target.sqlite_full, workers, ops);
      }
#ifdef INCURSA_BENCH_HAVE_PQ
      if (target.kind == StoreTarget::Kind::Postgres) base = run_raw_pg(target.uri, workers, ops);
#endif
      print_result("raw", *base);
      raw_series.add(*base);
      // Not fatal: with many connections the bare client's own busy handler
      // gives up ("database is locked"); that is part of what it measures.
      if (base->failures > 0) {
        std::printf("  (raw baseline: %lld operations failed; its rates count the others)\n",
                    static_cast<long long>(base->failures));
      }
    };
    try {
      if (ceiling > 0) {
        const Result c =
            run_raw_sqlite_ceiling(target.raw_file(run), target.sqlite_full, ops, ceiling);
        print_result("ceiling", c);
        ceiling_series.add(c);
      }
      if (run % 2 == 1) {
        measure_library();
        measure_raw();
      } else {
        measure_raw();
        measure_library();
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lifecycle: run %d failed: %s\n", run, e.what());
      return 1;
    }
    if (lib && base && base->ops_per_s() > 0) {
      const double ratio = lib->ops_per_s() / base->ops_per_s();
      ratios.push_back(ratio);
      std::printf("  library/raw %.2f\n", ratio);
    }
  }
  if (runs > 1) {
    std::printf("median of %d runs\n", runs);
    if (library) lib_series.print_median(coalesce ? "library+c" : "library");
    if (raw) raw_series.print_median("raw");
    if (ceiling > 0) ceiling_series.print_median("ceiling");
    if (!ratios.empty())
      std::printf("  library/raw %.2f (median of the per-run ratios)\n", bench::median(ratios));
  }
  if (failed) {
    std::fprintf(stderr, "lifecycle: some calls failed\n");
    return 1;
  }
  return 0;
}
