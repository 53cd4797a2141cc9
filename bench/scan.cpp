// bench/scan: how find_stalled (1,000 results) and the first page of list() scale
// with the number of operations in a store, and how much memory an operation
// takes in the memory store (docs/performance.md, "Scans").
//
//   scan [--sizes 10000,100000,1000000] [--stores memory,sqlite]
//        [--sqlite-path PATH] [--postgres URI] [--repeat 7] [--threads 16]
//
// Each store is filled up to each size in turn (the same store grows) through
// its normal insert() from --threads threads. One in five operations is Running
// and a day old (stale); the rest Succeeded. At each size the program times,
// through the Tracker, median of --repeat runs each:
//   find_stalled   threshold 1 h, limit 1000 (always 1000 results)
//   list           first page, 100 newest operations, no filter
//   list Running   first page, 100 newest Running operations
// SQLite writes PATH (default ./scan-bench.db, replaced, deleted at the end) with
// synchronous=NORMAL to fill it faster; reads do not depend on it. PostgreSQL
// gets a schema of its own (bench_scan), which survives between runs: a run grows
// it, and skips a size below what it already holds.
// Exit 0 when everything ran, 1 on any failure, 2 for bad arguments.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "incursa/platform/operations/store_support.hpp"
#include "incursa/platform/platform.hpp"

namespace ip = incursa::platform;
namespace bench = incursa::bench;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Config {
  std::vector<std::int64_t> sizes;
  std::vector<std::string> stores;
  std::string sqlite_path;
  std::string postgres_uri;
  int repeat = 7;
  int threads = 16;
};

// Operation number `i`, as inserted: every fifth one Running and stale.
ip::OperationSnapshot make_operation(std::int64_t i, ip::Timestamp base) {
  ip::OperationSnapshot s;
  const ip::Timestamp at = base + std::chrono::microseconds(i * 10);
  s.id = ip::OperationId::generate(at);
  s.name = i % 3 == 0 ? "Webhook.Deliver" : "Report.Render";
  s.started_at = at;
  s.tags = {{"tenant", "t" + std::to_string(i % 100)}};
  if (i % 5 == 0) {
    s.status = ip::OperationStatus::Running;
    s.updated_at = s.last_progress_at = at + std::chrono::milliseconds(1);
    s.percent = 50;
    s.message = "halfway";
    s.version = 2;
  } else {
    s.status = ip::OperationStatus::Succeeded;
    s.updated_at = s.last_progress_at = at + std::chrono::milliseconds(2);
    s.completed_at = s.updated_at;
    s.message = "done";
    s.version = 3;
  }
  return s;
}

// Inserts operations [from, to) from `threads` threads. Returns inserts per second.
double fill(ip::OperationStore& store, std::int64_t from, std::int64_t to, int threads,
            ip::Timestamp base) {
  std::atomic<std::int64_t> next{from};
  std::atomic<std::int64_t> failures{0};
  std::string first_error;
  std::atomic<bool> error_taken{false};
  const auto t0 = SteadyClock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (;;) {
        const std::int64_t i = next.fetch_add(1);
        if (i >= to) break;
        try {
          const ip::OperationSnapshot op = make_operation(i, base);
          store.insert(op, ip::created_event(op.started_at, ip::OperationId::generate().value()));
        } catch (const std::exception& e) {
          if (failures.fetch_add(1) == 0 && !error_taken.exchange(true)) first_error = e.what();
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  if (failures.load() > 0) {
    throw std::runtime_error(std::to_string(failures.load()) + " inserts failed: " + first_error);
  }
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  return static_cast<double>(to - from) / seconds;
}

template <class F>
double median_ms(int repeat, F&& f) {
  std::vector<double> ms;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = SteadyClock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
  }
  return bench::median(ms);
}

struct Row {
  std::int64_t size = 0;
  double stalled_ms = 0;
  double list_ms = 0;
  double list_running_ms = 0;
};

std::shared_ptr<ip::OperationStore> open_for(const std::string& kind, const Config& config) {
  if (kind == "memory") return ip::open_store("memory:");
  if (kind == "sqlite") {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(config.sqlite_path + suffix, ec);
    }
    return ip::open_store("sqlite:" + config.sqlite_path + "?synchronous=normal");
  }
  if (kind == "postgres") {
    return ip::open_store(bench::with_postgres_schema(config.postgres_uri, "bench_scan"));
  }
  throw std::invalid_argument("unknown store '" + kind + "' (memory, sqlite, postgres)");
}

std::vector<Row> run_store(const std::string& kind, const Config& config) {
  const std::int64_t rss_before = bench::rss_bytes();
  auto store = open_for(kind, config);
  ip::Tracker tracker(store);
  const ip::Timestamp base = std::chrono::system_clock::now() - std::chrono::hours(48);
  std::vector<Row> rows;
  std::int64_t have = 0;
  if (kind == "postgres") {
    // The schema survives between runs: start from what is there.
    const ip::StatusCounts counts = tracker.count_by_status();
    for (const auto& [status, n] : counts) have += n;
    if (have > 0) {
      std::printf("  (postgres schema bench_scan already holds %lld operations; growing it)\n",
                  static_cast<long long>(have));
    }
  }
  for (const std::int64_t size : config.sizes) {
    if (size < have) {
      // The figure would be labelled with a size the store is not at.
      std::printf(
          "  %-8s %8lld: skipped, the store already holds %lld operations (to measure it, "
          "DROP SCHEMA bench_scan CASCADE)\n",
          kind.c_str(), static_cast<long long>(size), static_cast<long long>(have));
      continue;
    }
    if (size > have) {
      const double rate = fill(*store, have, size, config.threads, base);
      have = size;
      std::printf("  %-8s filled to %8lld (%.0f inserts/s, load %s)\n", kind.c_str(),
                  static_cast<long long>(size), rate, bench::load_average().c_str());
    }
    Row row;
    row.size = size;
    ip::StallQuery stalled;
    stalled.threshold = std::chrono::hours(1);
    stalled.limit = 1000;
    std::size_t found = 0;
    row.stalled_ms =
        median_ms(config.repeat, [&] { found = tracker.find_stalled(stalled).size(); });
    if (found != 1000 && size >= 5000) {
      throw std::runtime_error("find_stalled returned " + std::to_string(found) +
                               " operations, expected 1000");
    }
    ip::OperationQuery page;
    page.limit = 100;
    std::size_t listed = 0;
    row.list_ms = median_ms(config.repeat, [&] { listed = tracker.list(page).operations.size(); });
    if (listed != 100)
      throw std::runtime_error("list returned " + std::to_string(listed) + " rows");
    ip::OperationQuery running;
    running.limit = 100;
    running.filter.statuses = ip::StatusSet{ip::OperationStatus::Running};
    row.list_running_ms = median_ms(config.repeat, [&] { tracker.list(running); });
    std::printf(
        "  %-8s %9lld ops  find_stalled %9.3f ms  list %8.3f ms  list Running %8.3f ms"
        "  (load %s)\n",
        kind.c_str(), static_cast<long long>(size), row.stalled_ms, row.list_ms,
        row.list_running_ms, bench::load_average().c_str());
    std::fflush(stdout);
    rows.push_back(row);
  }
  if (kind == "memory") {
    const std::int64_t grown = bench::rss_bytes() - rss_before;
    std::printf("  memory   %.0f bytes per operation (RSS grew %.1f MiB for %lld operations)\n",
                static_cast<double>(grown) / static_cast<double>(have),
                static_cast<double>(grown) / (1024.0 * 1024.0), static_cast<long long>(have));
  }
  store.reset();
  if (kind == "sqlite") {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(config.sqlite_path + suffix, ec);
    }
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  try {
    bench::Args args(argc, argv);
    if (args.flag("--help") || args.flag("-h")) {
      std::puts(
          "usage: scan [--sizes 10000,100000,1000000] [--stores memory,sqlite] "
          "[--sqlite-path PATH] [--postgres URI] [--repeat 7] [--threads 16]");
      return 0;
    }
    config.sizes = bench::parse_list(args.value("--sizes", "10000,100000,1000000"));
    std::sort(config.sizes.begin(), config.sizes.end());
    const std::string stores = args.value("--stores", "memory,sqlite");
    config.sqlite_path = args.value("--sqlite-path", "scan-bench.db");
    config.postgres_uri = args.value("--postgres", "");
    config.repeat = static_cast<int>(args.number("--repeat", 7));
    config.threads = static_cast<int>(args.number("--threads", 16));
    args.finish();
    std::size_t pos = 0;
    while (pos <= stores.size()) {
      const std::size_t comma = std::min(stores.find(',', pos), stores.size());
      config.stores.push_back(stores.substr(pos, comma - pos));
      pos = comma + 1;
    }
    if (!config.postgres_uri.empty() &&
        std::find(config.stores.begin(), config.stores.end(), "postgres") == config.stores.end()) {
      config.stores.emplace_back("postgres");
    }
    for (const std::string& s : config.stores) {
      if (s != "memory" && s != "sqlite" && s != "postgres") {
        throw std::invalid_argument("unknown store '" + s + "' (memory, sqlite, postgres)");
      }
      if (s == "postgres" && config.postgres_uri.empty()) {
        throw std::invalid_argument("--stores postgres needs --postgres URI");
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scan: %s\n", e.what());
    return 2;
  }

  std::printf("scan: %u hardware threads, load average %s at start\n",
              std::thread::hardware_concurrency(), bench::load_average().c_str());
  try {
    for (const std::string& kind : config.stores) {
      const std::vector<Row> rows = run_store(kind, config);
      // The scaling target compares each size with the one before it.
      for (std::size_t i = 1; i < rows.size(); ++i) {
        std::printf("  %-8s %lld vs %lld: find_stalled x%.2f, list x%.2f, list Running x%.2f\n",
                    kind.c_str(), static_cast<long long>(rows[i].size),
                    static_cast<long long>(rows[i - 1].size),
                    rows[i].stalled_ms / rows[i - 1].stalled_ms,
                    rows[i].list_ms / rows[i - 1].list_ms,
                    rows[i].list_running_ms / rows[i - 1].list_running_ms);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scan: %s\n", e.what());
    return 1;
  }
  return 0;
}
