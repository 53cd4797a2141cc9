// SQLite under real faults: a full disk (a small tmpfs mounted for the test), and
// the database file deleted or replaced under a running store. Nothing a call
// acknowledged may be lost or doubled, failures must be StoreError, and the store
// must work again once the fault is gone.
//
// The full-disk test mounts a tmpfs, which needs root (CI runs as root); elsewhere
// it is skipped with the reason.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "incursa/platform/platform.hpp"
#include "sqlite_test_support.hpp"

namespace incursa::platform {
namespace {

using testing::RawDb;
using testing::TempDir;

// A tmpfs of `bytes` mounted on a fresh directory for the test's lifetime.
class TmpfsMount {
 public:
  explicit TmpfsMount(std::size_t bytes) {
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const noexcept { return mounted_; }
  const std::string& error() const noexcept { return error_; }
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

// Writes zeros to `path` until the file system says it is full.
void fill_disk(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << std::strerror(errno);
  const std::vector<char> chunk(64 * 1024, '\0');
  while (std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
  }
  // Push out what stdio buffered; whatever does not fit is dropped.
  std::fflush(f);
  std::fclose(f);
  // Squeeze out the last bytes a 64 KiB chunk could not take.
  f = std::fopen(path.c_str(), "ab");
  ASSERT_NE(f, nullptr);
  std::setvbuf(f, nullptr, _IONBF, 0);
  while (std::fputc(0, f) != EOF) {
  }
  std::fclose(f);
}

// What one writer thread was told succeeded, per operation.
struct Acknowledged {
  bool started = false;
  int steps = 0;  // add_event("step") calls that returned
  std::optional<double> last_percent;
  bool completed = false;
};

// Counters the main thread waits on; the writers only count and notify.
struct Progress {
  std::mutex mutex;
  std::condition_variable changed;
  int completed = 0;
  int store_errors = 0;

  void add(int completions, int errors) {
    {
      std::lock_guard lock(mutex);
      completed += completions;
      store_errors += errors;
    }
    changed.notify_all();
  }
  // Waits (bounded, as a safety net against a hang) until `done` holds.
  template <class Pred>
  bool wait_for(Pred done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::minutes(2), [&] { return done(*this); });
  }
};

// Runs lifecycles (start, 3 progress, 2 events with 2 KiB of data, complete)
// until `stop`, recording what was acknowledged. Any exception other than
// StoreError is a test failure.
void run_writer(Tracker& tracker, std::atomic<bool>& stop, Progress& progress,
                std::map<std::string, Acknowledged>& acked) {
  const std::string padding(2048, 'x');
  const std::string data = "{\"padding\":\"" + padding + "\"}";
  while (!stop.load()) {
    const OperationId id = OperationId::generate();
    Acknowledged& ack = acked[id.str()];
    int errors = 0;
    try {
      tracker.start("Fault.Lifecycle", StartOptions{.id = id});
      ack.started = true;
      for (int i = 1; i <= 3; ++i) {
        tracker.update_progress(id, ProgressUpdate{.percent = i * 25.0});
        ack.last_percent = i * 25.0;
      }
      for (int i = 0; i < 2; ++i) {
        tracker.add_event(id, "step", std::nullopt, data);
        ++ack.steps;
      }
      tracker.complete(id, OperationStatus::Succeeded);
      ack.completed = true;
    } catch (const StoreError&) {
      errors = 1;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "unexpected exception: " << e.what();
      stop = true;
    }
    progress.add(ack.completed ? 1 : 0, errors);
  }
}

// Every acknowledged call is in the file, exactly once; nothing unacknowledged
// that could not have been written is there.
void expect_all_acknowledged(Tracker& tracker, const std::map<std::string, Acknowledged>& acked) {
  int checked = 0;
  for (const auto& [text, ack] : acked) {
    const OperationId id = OperationId::parse(text);
    const auto snapshot = tracker.get_snapshot(id);
    if (!ack.started) {
      // A start that failed rolled back: nothing may have been invented for it.
      EXPECT_FALSE(snapshot.has_value()) << "a failed start was kept: " << text;
      continue;
    }
    ASSERT_TRUE(snapshot.has_value()) << "acknowledged start lost: " << text;
    ++checked;
    const auto events = tracker.events(id);
    int steps = 0;
    std::int64_t expected_sequence = 1;
    for (const auto& event : events) {
      EXPECT_EQ(event.sequence, expected_sequence++) << text;
      if (event.kind == "step") ++steps;
    }
    // A call that failed wrote nothing (its transaction rolled back), so the
    // count is exact: no acknowledged event lost, no failed one kept, none doubled.
    EXPECT_EQ(steps, ack.steps) << text;
    if (ack.completed) {
      EXPECT_EQ(snapshot->status, OperationStatus::Succeeded) << text;
    } else {
      EXPECT_NE(snapshot->status, OperationStatus::Succeeded) << text;
      if (ack.last_percent) {
        EXPECT_EQ(snapshot->percent, ack.last_percent) << text;
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(SqliteFaults, FullDiskFailsCallsWithStoreErrorAndLosesNothingAcknowledged) {
  // Room for the WAL to reach its auto-checkpoint size (1000 pages) with space to spare.
  TmpfsMount disk(32 * 1024 * 1024);
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << disk.error();
  const std::string db = disk.file("ops.db");
  const std::string filler = disk.file("filler");

  constexpr int kWriters = 4;
  std::vector<std::map<std::string, Acknowledged>> acked(kWriters);
  {
    auto store = SqliteStore::open(SqliteStoreOptions{.path = db});
    Tracker tracker(store);
    std::atomic<bool> stop{false};
    Progress progress;
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] { run_writer(tracker, stop, progress, acked[w]); });
    }

    // Some work lands, then the disk fills under the writers' feet.
    ASSERT_TRUE(progress.wait_for([](const Progress& p) { return p.completed >= 40; }));
    fill_disk(filler);
    ASSERT_TRUE(progress.wait_for([](const Progress& p) { return p.store_errors >= 20; }))
        << "no StoreError while the disk was full";

    // Space returns: the same store object writes again.
    std::filesystem::remove(filler);
    int completed_when_freed = 0;
    {
      std::lock_guard lock(progress.mutex);
      completed_when_freed = progress.completed;
    }
    ASSERT_TRUE(progress.wait_for([&](const Progress& p) {
      return p.completed >= completed_when_freed + 40;
    })) << "the store did not recover once space returned";
    stop = true;
    for (auto& t : writers) t.join();
  }

  RawDb raw(db);
  EXPECT_EQ(raw.column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  auto reopened = SqliteStore::open(SqliteStoreOptions{.path = db});
  Tracker tracker(reopened);
  for (const auto& per_writer : acked) expect_all_acknowledged(tracker, per_writer);
}

TEST(SqliteFaults, DeletedFileIsAClearStoreErrorNotASilentLoss) {
  TempDir dir;
  const std::string db = dir.file("ops.db");
  auto store = SqliteStore::open(SqliteStoreOptions{.path = db});
  Tracker tracker(store);
  const auto op = tracker.start("Fault.Deleted");

  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);

  try {
    tracker.update_progress(op.id, ProgressUpdate{.percent = 50.0});
    FAIL() << "a write to a deleted database file succeeded";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("deleted"), std::string::npos) << e.what();
    EXPECT_FALSE(e.retryable());
  }
  EXPECT_THROW(tracker.get_snapshot(op.id), StoreError);
  // Nothing was silently recreated in its place.
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(SqliteFaults, ReplacedFileIsAClearStoreErrorAndTheNewFileIsUntouched) {
  TempDir dir;
  const std::string db = dir.file("ops.db");
  const std::string other = dir.file("other.db");
  auto store = SqliteStore::open(SqliteStoreOptions{.path = db});
  Tracker tracker(store);
  const auto op = tracker.start("Fault.Replaced");
  {
    // Another database, with an operation of its own, is moved over the path.
    auto other_store = SqliteStore::open(SqliteStoreOptions{.path = other});
    Tracker(other_store).start("Other.Store");
  }
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(other + suffix);
  const std::string before = testing::read_bytes(other);
  std::filesystem::rename(other, db);

  try {
    tracker.add_event(op.id, "after-replace");
    FAIL() << "a write to a replaced database file succeeded";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("replaced"), std::string::npos) << e.what();
    EXPECT_FALSE(e.retryable());
  }
  EXPECT_EQ(testing::read_bytes(db), before);
}

}  // namespace
}  // namespace incursa::platform
