// SQLite-specific behaviour: schema and migrations, files the store must refuse
// without changing them, backup, URIs, and the in-memory variant.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/store_support.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/stores/store_factory.hpp"
#include "sqlite_test_support.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;

std::string make_store_file(const TempDir& dir, const std::string& name, int operations = 3) {
  const std::string path = dir.file(name);
  Tracker tracker(SqliteStore::open_uri("sqlite:" + path));
  for (int i = 0; i < operations; ++i) {
    const auto s = tracker.start("Seed.Op", StartOptions{.tags = {{"i", std::to_string(i)}}});
    tracker.add_event(s.id, "note", "hello");
  }
  return path;  // the store is closed: the WAL is checkpointed into the file and removed
}

// Opens `path` and returns the StoreError it must throw.
StoreError open_error(const std::string& path) {
  try {
    SqliteStore::open(SqliteStoreOptions{.path = path});
  } catch (const StoreError& e) {
    return e;
  }
  ADD_FAILURE() << "opening " << path << " did not throw StoreError";
  return StoreError("", true);
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

// ---- schema ---------------------------------------------------------------------

TEST(SqliteSchema, NewFileGetsTheLatestSchemaInWalMode) {
  TempDir dir;
  const std::string path = dir.file("new.db");
  auto store = SqliteStore::open_uri("sqlite:" + path);
  EXPECT_EQ(store->schema_version(), SqliteStore::latest_schema_version());
  EXPECT_EQ(store->kind(), "sqlite");

  RawDb raw(path);
  EXPECT_EQ(raw.column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  EXPECT_EQ(raw.scalar("SELECT MAX(version) FROM schema_version"),
            SqliteStore::latest_schema_version());
  const auto tables =
      raw.column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  EXPECT_EQ(tables, (std::vector<std::string>{"audit_anchors", "audit_events", "operation_events",
                                              "operation_tags", "operations", "purged_operations",
                                              "schema_version"}));
  // docs/sqlite.md lists these; a query the store runs must have its index.
  const auto indexes = raw.column(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name");
  EXPECT_EQ(indexes,
            (std::vector<std::string>{
                "audit_anchors_by_object", "audit_events_by_correlation", "audit_events_by_name",
                "audit_events_by_time", "operation_events_by_time", "operation_tags_by_status",
                "operations_by_correlation", "operations_by_name", "operations_by_parent",
                "operations_by_started", "operations_by_status", "operations_by_status_name",
                "operations_by_updated", "operations_purgeable", "operations_stale_by_activity",
                "operations_stale_by_progress"}));
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'operation_events' "
                       "AND sql LIKE '%WITHOUT ROWID%'"),
            1);
}

TEST(SqliteSchema, TheStatusCheckStillRefusesAnUnknownStatus) {
  TempDir dir;
  const std::string path = make_store_file(dir, "check.db", 1);
  RawDb raw(path, false);
  EXPECT_ANY_THROW(raw.exec("UPDATE operations SET status = 'Bogus'"));
  EXPECT_ANY_THROW(raw.exec("UPDATE operations SET status = 'running'"));
  raw.exec("UPDATE operations SET status = 'Stalled'");
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operations WHERE status = 'Stalled'"), 1);
}

TEST(SqliteSchema, ReopeningKeepsDataAndAppliesNothingTwice) {
  TempDir dir;
  const std::string path = make_store_file(dir, "reopen.db");
  auto store = SqliteStore::open_uri("sqlite:" + path);
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM schema_version"),
            SqliteStore::latest_schema_version());
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operations"), 3);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operation_events"), 6);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operation_tags"), 3);
}

TEST(SqliteSchema, ValuesAreStoredInTheDocumentedForm) {
  TempDir dir;
  const std::string path = dir.file("forms.db");
  auto clock = std::make_shared<ManualClock>();
  Tracker tracker(SqliteStore::open_uri("sqlite:" + path), TrackerOptions{.clock = clock});
  const auto s = tracker.start("Forms.Op", StartOptions{.tags = {{"tenant", "acme"}}});
  tracker.update_progress(
      s.id, ProgressUpdate{.percent = 12.5, .progress = StructuredProgress{3, 10, "rows"}});
  RawDb raw(path);
  const auto row = raw.rows(
      "SELECT typeof(started_at), started_at, status, tags_json, progress_current, "
      "progress_total, progress_unit, percent, version, last_sequence FROM operations");
  ASSERT_EQ(row.size(), 1U);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(clock->now().time_since_epoch())
          .count();
  EXPECT_EQ(row[0], (std::vector<std::string>{"integer", std::to_string(micros), "Running",
                                              R"({"tenant":"acme"})", "3", "10", "rows", "12.5",
                                              "2", "2"}));
  EXPECT_EQ(raw.rows("SELECT operation_id, key, value FROM operation_tags"),
            (std::vector<std::vector<std::string>>{{s.id.value(), "tenant", "acme"}}));
}

TEST(SqliteSchema, AnOlderFileIsMigratedInPlaceKeepingItsData) {
  TempDir dir;
  const std::string path = make_store_file(dir, "old.db");
  {
    // Turn the file back into a version-1 file: what an older library left.
    RawDb raw(path, false);
    raw.exec("BEGIN");
    raw.exec("DROP TABLE audit_anchors");
    raw.exec("DROP TABLE audit_events");
    raw.exec("DROP INDEX operations_purgeable");
    raw.exec("DROP INDEX operation_events_by_time");
    raw.exec("DROP TABLE purged_operations");
    raw.exec("DROP INDEX operation_tags_by_status");
    raw.exec("ALTER TABLE operation_tags DROP COLUMN status");
    raw.exec("ALTER TABLE operation_tags DROP COLUMN started_at");
    raw.exec("CREATE INDEX operation_tags_by_key_value ON operation_tags (key, value)");
    raw.exec("DELETE FROM schema_version WHERE version > 1");
    // What a purge before version 4 left: events without their operation, one
    // finished (its last status event says Failed) and one whose status events
    // were already gone.
    raw.exec(
        "INSERT INTO operation_events (operation_id, sequence, occurred_at, kind, message, "
        "data_json, key) VALUES ('gone-1', 1, 100, 'status', 'Pending', "
        "'{\"from\":null,\"to\":\"Pending\"}', 'k1'), ('gone-1', 2, 200, 'status', "
        "'Pending -> Failed', '{\"from\":\"Pending\",\"to\":\"Failed\"}', 'k2'), "
        "('gone-1', 3, 300, 'late', NULL, NULL, 'k3'), ('gone-2', 7, 400, 'note', NULL, NULL, "
        "'k4')");
    raw.exec("COMMIT");
  }
  auto store = SqliteStore::open_uri("sqlite:" + path);
  EXPECT_EQ(store->schema_version(), SqliteStore::latest_schema_version());
  RawDb raw(path);
  EXPECT_EQ(raw.column("SELECT version FROM schema_version ORDER BY version"),
            (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operations"), 3);
  // Version 3 rebuilds the operations table: its tags must not go with the old one.
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operation_tags"), 3);
  // Version 5 gives each tag its operation's start time.
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operation_tags t JOIN operations o "
                       "ON o.id = t.operation_id WHERE t.started_at = o.started_at"),
            3);
  // Version 6 gives each tag its operation's status.
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operation_tags t JOIN operations o "
                       "ON o.id = t.operation_id WHERE t.status = o.status"),
            3);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM operation_events"), 10);
  // Version 4 gives each purged operation a tombstone, from what its events tell.
  const auto failed = store->retention()->find_purged(OperationId::parse("gone-1"));
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->name, "");
  EXPECT_EQ(failed->status, OperationStatus::Failed);
  EXPECT_EQ(failed->completed_at, Timestamp{} + std::chrono::microseconds(200));
  const auto unknown = store->retention()->find_purged(OperationId::parse("gone-2"));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->status.has_value());
  EXPECT_FALSE(unknown->completed_at.has_value());
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM purged_operations"), 2);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit_events'"), 1);
  EXPECT_TRUE(
      store->audit()->append_audit_event(AuditEvent{.id = AuditEventId::parse("a1"),
                                                    .occurred_at = Timestamp{},
                                                    .name = "test.migrated",
                                                    .display_message = "migrated",
                                                    .outcome = EventOutcome::Info,
                                                    .anchors = {{"Operation", "x", "Subject"}}}));
}

TEST(SqliteSchema, FutureSchemaVersionIsRefusedAndTheFileIsUntouched) {
  TempDir dir;
  const std::string path = make_store_file(dir, "future.db");
  {
    RawDb raw(path, false);
    raw.exec(
        "INSERT INTO schema_version (version, applied_at, description) "
        "VALUES (99, 0, 'from the future')");
    // Rollback-journal mode too: opening must not even switch it to WAL.
    raw.exec("PRAGMA journal_mode = DELETE");
  }
  const std::string before = read_bytes(path);
  const StoreError error = open_error(path);
  EXPECT_FALSE(error.retryable());
  const std::string message = error.what();
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("schema version 99"), std::string::npos) << message;
  EXPECT_NE(message.find("up to " + std::to_string(SqliteStore::latest_schema_version())),
            std::string::npos)
      << message;
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_FALSE(exists(path + "-wal"));
}

TEST(SqliteSchema, ForeignDatabaseWithAClashingTableIsRefusedAndUnchanged) {
  TempDir dir;
  const std::string path = dir.file("foreign.db");
  {
    RawDb raw(path, false);
    raw.exec("PRAGMA journal_mode = WAL");
    raw.exec("CREATE TABLE operations (x INTEGER)");
    raw.exec("INSERT INTO operations VALUES (7)");
  }
  const StoreError error = open_error(path);
  EXPECT_FALSE(error.retryable());
  EXPECT_NE(std::string(error.what()).find("already exists"), std::string::npos) << error.what();
  RawDb raw(path);
  // The migration rolled back as a whole: no half-created schema.
  EXPECT_EQ(raw.column("SELECT name FROM sqlite_master ORDER BY name"),
            std::vector<std::string>{"operations"});
  EXPECT_EQ(raw.scalar("SELECT x FROM operations"), 7);
}

// ---- files the store refuses ----------------------------------------------------

TEST(SqliteFiles, CorruptFileIsRefusedAndUntouched) {
  TempDir dir;
  const std::string path = dir.file("random.db");
  std::mt19937 rng(42);
  std::string bytes(16384, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng());
  write_bytes(path, bytes);

  const StoreError error = open_error(path);
  EXPECT_FALSE(error.retryable());
  const std::string message = error.what();
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("not a database"), std::string::npos) << message;
  EXPECT_EQ(read_bytes(path), bytes);
  EXPECT_FALSE(exists(path + "-wal"));
  EXPECT_FALSE(exists(path + "-shm"));
}

TEST(SqliteFiles, DamagedPagesAreAStoreErrorAndTheFileIsUntouched) {
  TempDir dir;
  const std::string path = make_store_file(dir, "damaged.db", 50);
  std::string bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 8192U);
  // Keep page 1 (header and schema), scribble over every table's pages.
  for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5);
  write_bytes(path, bytes);

  const StoreError error = open_error(path);
  EXPECT_FALSE(error.retryable());
  EXPECT_NE(std::string(error.what()).find("malformed"), std::string::npos) << error.what();
  EXPECT_EQ(read_bytes(path), bytes);
}

TEST(SqliteFiles, MissingDirectoryIsRefusedAndNotCreated) {
  TempDir dir;
  const std::string missing = dir.file("no/such/dir");
  const StoreError error = open_error(missing + "/ops.db");
  EXPECT_FALSE(error.retryable());
  const std::string message = error.what();
  EXPECT_NE(message.find(missing + "/ops.db"), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
  EXPECT_FALSE(exists(dir.file("no")));
}

TEST(SqliteFiles, PathThatIsADirectoryIsRefused) {
  TempDir dir;
  const StoreError error = open_error(dir.path().string());
  EXPECT_FALSE(error.retryable());
  EXPECT_NE(std::string(error.what()).find(dir.path().string()), std::string::npos);
}

// Runs `body` in a forked child without root's power to write read-only files,
// and returns what it printed. Root ignores file modes, so a read-only test run as
// root would otherwise prove nothing.
std::string run_unprivileged(const std::function<std::string()>& body) {
  if (::geteuid() != 0) return body();
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
      out = "could not drop privileges";
    } else {
      out = body();
    }
    const ssize_t written = ::write(fds[1], out.data(), out.size());
    ::_exit(written == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[512];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

TEST(SqliteFiles, ReadOnlyFileIsRefusedAndUntouched) {
  TempDir dir;
  const std::string path = make_store_file(dir, "readonly.db");
  const std::string before = read_bytes(path);
  ::chmod(path.c_str(), 0444);
  ::chmod(dir.path().c_str(), 0755);  // reachable by the unprivileged child, not writable

  const std::string outcome = run_unprivileged([&]() -> std::string {
    try {
      SqliteStore::open(SqliteStoreOptions{.path = path});
      return "opened";
    } catch (const StoreError& e) {
      return std::string(e.retryable() ? "retryable " : "final ") + e.what();
    } catch (const std::exception& e) {
      return std::string("other ") + e.what();
    }
  });
  EXPECT_EQ(outcome.rfind("final ", 0), 0U) << outcome;
  EXPECT_NE(outcome.find(path), std::string::npos) << outcome;
  EXPECT_NE(outcome.find("read-only"), std::string::npos) << outcome;
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_FALSE(exists(path + "-wal"));
}

TEST(SqliteFiles, ALockHeldPastTheBusyTimeoutIsARetryableStoreError) {
  TempDir dir;
  const std::string path = make_store_file(dir, "busy.db", 1);
  auto store = SqliteStore::open(
      SqliteStoreOptions{.path = path, .busy_timeout = std::chrono::milliseconds(50)});
  Tracker tracker(store);
  RawDb holder(path, false);
  holder.exec("BEGIN IMMEDIATE");
  try {
    tracker.start("Busy.Op");
    ADD_FAILURE() << "the write went through a held lock";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.retryable()) << e.what();
    EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
  }
  holder.exec("ROLLBACK");
  EXPECT_NO_THROW(tracker.start("Busy.Op"));  // and the store is still usable
}

// ---- store behaviour beyond the conformance suite --------------------------------

NewEvent event_with_key(const std::string& key, Timestamp at) {
  return NewEvent{.occurred_at = at, .kind = "note", .message = "m", .data_json = {}, .key = key};
}

TEST(SqliteStoreWrites, ARepeatedEventKeyFailsTheWholeWriteAndWritesNothing) {
  auto store = open_temp_store();
  Tracker tracker(store);
  const auto s = tracker.start("Keys.Op");
  // Member by member: GCC 12 at -O2 misreads an aggregate-initialised SnapshotChanges
  // as maybe-uninitialized.
  TransitionRequest request;
  request.id = s.id;
  request.allowed_from = StatusSet::all();
  request.at = s.started_at;
  request.events = {event_with_key("k1", s.started_at)};
  ASSERT_EQ(store->transition(request).outcome, TransitionOutcome::Applied);
  const auto before = store->get(s.id);
  request.changes.status = S::Running;
  request.status_event_key = "k2";
  EXPECT_THROW(store->transition(request), StoreError);
  EXPECT_EQ(store->get(s.id), before);
  EXPECT_EQ(store->events(s.id, 0, 100).size(), 2U);
}

TEST(SqliteStoreWrites, InsertOfATakenIdReturnsTheStoredRecordAndWritesNothing) {
  auto store = open_temp_store();
  Tracker tracker(store);
  const auto s = tracker.start("Insert.Op");
  OperationSnapshot other = s;
  other.name = "Other.Name";
  const auto result = store->insert(other, created_event(s.started_at, "another-key"));
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.snapshot, s);
  EXPECT_EQ(store->events(s.id, 0, 100).size(), 1U);
}

TEST(SqliteStoreReads, FindStaleHonoursStatusSubsetsAndOtherSets) {
  auto store = open_temp_store();
  auto clock = std::make_shared<ManualClock>();
  Tracker tracker(store, TrackerOptions{.clock = clock});
  const auto pending = tracker.start("Stale.Pending").id;
  const auto running = tracker.start("Stale.Running").id;
  tracker.heartbeat(running);
  const auto stalled = tracker.start("Stale.Stalled").id;
  tracker.mark_stalled(stalled);
  const auto done = tracker.start("Stale.Done").id;
  tracker.complete(done, S::Succeeded);
  clock->advance(std::chrono::hours(1));
  const Timestamp cutoff = clock->now();

  const auto ids = [&](StatusSet statuses) {
    std::vector<OperationId> out;
    for (const auto& s : store->find_stale(StaleQuery{.statuses = statuses, .cutoff = cutoff})) {
      out.push_back(s.id);
    }
    return out;
  };
  EXPECT_EQ(ids({S::Pending, S::Running}), (std::vector<OperationId>{pending, running}));
  EXPECT_EQ(ids({S::Pending}), std::vector<OperationId>{pending});
  EXPECT_EQ(ids({S::Running}), std::vector<OperationId>{running});
  EXPECT_EQ(ids({S::Stalled}), std::vector<OperationId>{stalled});
  EXPECT_EQ(ids(StatusSet::all()), (std::vector<OperationId>{pending, running, stalled, done}));
  EXPECT_EQ(ids({}), std::vector<OperationId>{});
  const auto limited =
      store->find_stale(StaleQuery{.statuses = StatusSet::all(), .cutoff = cutoff, .limit = 2});
  EXPECT_EQ(limited.size(), 2U);
  // The cutoff is exclusive, to the nanosecond the caller gave.
  EXPECT_TRUE(
      store->find_stale(StaleQuery{.cutoff = clock->now() - std::chrono::hours(1)}).empty());
}

// ---- backup -------------------------------------------------------------------

TEST(SqliteBackup, BackupIsACompleteConsistentCopy) {
  TempDir dir;
  auto store = SqliteStore::open_uri("sqlite:" + dir.file("live.db"));
  Tracker tracker(store);
  std::vector<OperationId> ids;
  for (int i = 0; i < 20; ++i) {
    const auto s = tracker.start("Backup.Op", StartOptions{.tags = {{"i", std::to_string(i)}}});
    tracker.add_event(s.id, "note", "n" + std::to_string(i));
    ids.push_back(s.id);
  }
  const std::string copy_path = dir.file("copy.db");
  store->backup_to(copy_path);

  auto copy = SqliteStore::open_uri("sqlite:" + copy_path);
  EXPECT_EQ(copy->integrity_check(), "ok");
  for (const auto& id : ids) {
    EXPECT_EQ(copy->get(id), store->get(id));
    EXPECT_EQ(copy->events(id, 0, 100), store->events(id, 0, 100));
  }
}

TEST(SqliteBackup, BackupWhileWritersRunIsConsistent) {
  TempDir dir;
  auto store = SqliteStore::open_uri("sqlite:" + dir.file("busy-live.db"));
  Tracker tracker(store);
  const auto id = tracker.start("Backup.Busy").id;
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    while (!stop.load()) {
      tracker.add_event(id, "tick");
      writes.fetch_add(1);
    }
  });
  while (writes.load() < 20) std::this_thread::yield();
  const std::string copy_path = dir.file("busy-copy.db");
  store->backup_to(copy_path);
  stop.store(true);
  writer.join();

  auto copy = SqliteStore::open_uri("sqlite:" + copy_path);
  EXPECT_EQ(copy->integrity_check(), "ok");
  const auto s = copy->get(id);
  ASSERT_TRUE(s.has_value());
  EXPECT_GE(s->version, 21);
  EXPECT_EQ(static_cast<std::int64_t>(copy->events(id, 0, 1000000).size()), s->version);
}

TEST(SqliteBackup, BackupNeverOverwritesAFile) {
  TempDir dir;
  auto store = SqliteStore::open_uri("sqlite:" + dir.file("live.db"));
  const std::string target = dir.file("precious.txt");
  write_bytes(target, "x");
  try {
    store->backup_to(target);
    ADD_FAILURE() << "backup overwrote a file";
  } catch (const StoreError& e) {
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_bytes(target), "x");
  EXPECT_THROW(store->backup_to(dir.file("no/such/dir/b.db")), StoreError);
}

// ---- URIs and the in-memory database -----------------------------------------------

TEST(SqliteUri, ParsesPathsAndOptions) {
  auto o = SqliteStore::parse_uri("sqlite:/tmp/x.db");
  EXPECT_EQ(o.path, "/tmp/x.db");
  EXPECT_EQ(o.synchronous, SqliteStoreOptions::Synchronous::Full);
  EXPECT_EQ(o.busy_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(SqliteStore::parse_uri("sqlite:relative/x.db").path, "relative/x.db");
  EXPECT_EQ(SqliteStore::parse_uri("sqlite:///abs/x.db").path, "/abs/x.db");
  EXPECT_EQ(SqliteStore::parse_uri("sqlite::memory:").path, ":memory:");
  o = SqliteStore::parse_uri("sqlite:/a.db?synchronous=NORMAL&busy_timeout_ms=250");
  EXPECT_EQ(o.path, "/a.db");
  EXPECT_EQ(o.synchronous, SqliteStoreOptions::Synchronous::Normal);
  EXPECT_EQ(o.busy_timeout, std::chrono::milliseconds(250));

  for (const char* bad : {"sqlite:", "sqlite:?synchronous=full", "postgresql://x",
                          "memory:", "sqlite://host/x.db", "sqlite:/a.db?synchronous=off",
                          "sqlite:/a.db?busy_timeout_ms=-1", "sqlite:/a.db?busy_timeout_ms=1x",
                          "sqlite:/a.db?journal=wal", "sqlite:/a.db?synchronous"}) {
    try {
      SqliteStore::parse_uri(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "store_uri") << bad;
    }
  }
}

TEST(SqliteUri, TheFactoryOpensSqliteUris) {
  TempDir dir;
  const auto store = open_store("sqlite:" + dir.file("factory.db"));
  EXPECT_EQ(store->kind(), "sqlite");
  EXPECT_EQ(open_store("sqlite::memory:")->kind(), "sqlite");
  EXPECT_THROW(open_store("sqlite:" + dir.file("missing/x.db")), StoreError);
  EXPECT_THROW(open_store("sqlite:/x.db?synchronous=sometimes"), ValidationError);
}

TEST(SqliteUri, NormalSynchronousStoreWorks) {
  TempDir dir;
  auto store = SqliteStore::open_uri("sqlite:" + dir.file("normal.db") + "?synchronous=normal");
  EXPECT_EQ(store->options().synchronous, SqliteStoreOptions::Synchronous::Normal);
  Tracker tracker(store);
  const auto s = tracker.start("Normal.Op");
  EXPECT_EQ(tracker.get_snapshot(s.id), s);
}

TEST(SqliteMemory, MemoryStoresArePrivateAndComplete) {
  auto a = SqliteStore::open_uri("sqlite::memory:");
  auto b = SqliteStore::open_uri("sqlite::memory:");
  Tracker ta(a);
  const auto s = ta.start("Memory.Op");
  ta.update_progress(s.id, ProgressUpdate{.percent = 50.0});
  EXPECT_TRUE(a->get(s.id).has_value());
  EXPECT_FALSE(b->get(s.id).has_value());
  EXPECT_EQ(a->schema_version(), SqliteStore::latest_schema_version());
  EXPECT_EQ(a->integrity_check(), "ok");

  TempDir dir;
  a->backup_to(dir.file("from-memory.db"));
  auto copy = SqliteStore::open_uri("sqlite:" + dir.file("from-memory.db"));
  EXPECT_EQ(copy->get(s.id), a->get(s.id));
}

TEST(SqliteMemory, ManyThreadsShareOneMemoryStore) {
  auto store = SqliteStore::open_uri("sqlite::memory:");
  Tracker tracker(store);
  const auto id = tracker.start("Memory.Threads").id;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        tracker.add_event(id, "tick");
        (void)tracker.get_snapshot(id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store->get(id)->version, 401);
  EXPECT_EQ(store->events(id, 0, 1000).size(), 401U);
}

}  // namespace
}  // namespace incursa::platform::testing
