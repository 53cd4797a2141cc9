// bench/scale: a store of N realistic operations, and what every screen and
// whole-store command costs on it (docs/scale.md).
//
//   scale build --store URI --operations N [--seed 1] [--now UNIX_SECONDS]
//   scale time  --store URI [--repeat 5] [--seed 1] [--operations N] [--now UNIX_SECONDS]
//               [--only TEXT] [--without TEXT]   (actions whose name has / lacks TEXT)
//   scale purge --store URI [--keep-days 30] [--writers 2] [--seconds 10]
//
// build  writes N operations through the library's bulk path
//        (TransferStore::restore_batch, a thousand to a transaction) and prints
//        operations/s and peak memory. The data is deterministic for a seed and
//        `now` (default: the start of the current UTC day): ~50 names under
//        Webhook., Import., Report. and Export. (skewed), tags tenant (skewed:
//        t0 is ~13% of operations), region and source, correlation groups of 4,
//        2-6 events each, 85% Succeeded and the rest Failed, Canceled, Running,
//        Pending or Stalled, started over the 90 days before `now`. Every tenth
//        operation of fifty is a child of the fifty's first; every thousandth
//        is a child of the first operation (a parent with N/1000 children).
// time   times, on the store `build` made (same --seed, --now, --operations),
//        the first page and page 20 of list for each filter below, the counts
//        for the same filters, find_stalled, a timeline, a children page and
//        one operation: cold (a new store, and for SQLite the file's pages
//        dropped from the OS cache with posix_fadvise) and warm (median of
//        --repeat runs in the same store), and the peak memory of the process.
//
// purge  runs --writers threads of short lifecycles (start, progress, complete)
//        for --seconds alone, then beside purge() (keep terminal operations
//        --keep-days, run until complete), and prints the purge's rate and the
//        writers' calls/s and latency percentiles in both phases.
//
// SQLite URIs are used as given; PostgreSQL's "cold" is a new connection only
// (the server's buffers cannot be dropped from a client).
// Exit 0 when everything ran, 1 on any failure, 2 for bad arguments.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "incursa/platform/platform.hpp"

namespace ip = incursa::platform;
namespace bench = incursa::bench;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// ------------------------------------------------------------------ the data

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A stream of uniform numbers for one operation.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return state_ = splitmix64(state_); }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(unit() * n); }

 private:
  std::uint64_t state_;
};

struct Family {
  const char* prefix;
  double share;
  std::vector<const char*> names;
  std::chrono::milliseconds shortest, longest;
};

const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      {"Webhook.",
       0.50,
       {"Stripe.InvoicePaid", "Stripe.ChargeFailed", "Stripe.Refund", "GitHub.Push",
        "GitHub.PullRequest", "GitHub.Release", "Shopify.OrderCreated", "Shopify.OrderPaid",
        "Shopify.Fulfilled", "Slack.Command", "Slack.Event", "Twilio.Sms", "Twilio.Call",
        "SendGrid.Bounce", "Zendesk.Ticket", "Intercom.Message"},
       50ms,
       3s},
      {"Import.",
       0.20,
       {"Nightly", "Batch", "Customers", "Orders", "Products", "Inventory", "Prices", "Ledger",
        "Contacts", "Catalog", "Sftp", "Csv"},
       1min,
       30min},
      {"Report.",
       0.20,
       {"Daily", "Weekly", "Monthly", "Invoice", "Usage", "Revenue", "Churn", "Audit", "Tax",
        "Payout", "Cohort", "Funnel"},
       10s,
       5min},
      {"Export.",
       0.10,
       {"Warehouse", "S3", "Gdpr", "Csv", "Accounting", "Crm", "Search", "Backup"},
       30s,
       10min},
  };
  return all;
}

std::string hex_id(const char* prefix, std::uint64_t value) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%s%016" PRIx64, prefix, value);
  return buffer;
}

// Operation i of a store of `total` built with `seed` up to `now`.
enum class Ids : std::uint8_t { Mixed, Time, Random };

class Generator {
 public:
  Generator(std::uint64_t seed, ip::Timestamp now, std::int64_t total, Ids ids)
      : seed_(seed), now_(now), total_(total), ids_(ids) {}

  const Family& family_of(std::int64_t i) const {
    double pick = Random(splitmix64(seed_ ^ 0x5eed ^ static_cast<std::uint64_t>(i) << 8)).unit();
    for (const Family& f : families()) {
      if (pick < f.share) return f;
      pick -= f.share;
    }
    return families().back();
  }

  bool is_webhook(std::int64_t i) const { return family_of(i).prefix == families()[0].prefix; }

  // A UUIDv7 of the operation's start (what OperationId::generate makes, so
  // ids ascend with time), its random bits from the seed. Webhooks carry the
  // sender's delivery id instead when ids are "mixed" (random: they land all
  // over the id index), and every operation does when they are "random".
  ip::OperationId id(std::int64_t i) const {
    const std::uint64_t bits = splitmix64(seed_ << 40 ^ static_cast<std::uint64_t>(i));
    if (ids_ == Ids::Random || (ids_ == Ids::Mixed && is_webhook(i))) {
      return ip::OperationId::parse(hex_id("evt_", bits));
    }
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(started_at(i).time_since_epoch())
            .count());
    char text[64];
    std::snprintf(text, sizeof text,
                  "%08" PRIx64 "-%04" PRIx64 "-7%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64, ms >> 16,
                  ms & 0xffff, (bits >> 52) & 0xfff, 0x8000 | ((bits >> 36) & 0x3fff),
                  bits & std::uint64_t{0xffffffffffff});
    return ip::OperationId::parse(text);
  }

  ip::CorrelationId correlation(std::int64_t i) const {
    return ip::CorrelationId::parse(
        hex_id("corr_", splitmix64(~seed_ ^ static_cast<std::uint64_t>(i / 4))));
  }

  ip::Timestamp started_at(std::int64_t i) const {
    // Spread evenly over 90 days, oldest first, as the store would fill.
    const auto span =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::hours(24 * 90));
    return now_ - span + span * i / std::max<std::int64_t>(total_, 1);
  }

  ip::RestoreRecord operator()(std::int64_t i) const {
    Random r(splitmix64(seed_ * 1000003 + static_cast<std::uint64_t>(i)));
    ip::RestoreRecord out;
    ip::OperationSnapshot& s = out.operation;
    s.id = id(i);

    const Family* family = &family_of(i);
    const double skew = r.unit();
    s.name = std::string(family->prefix) +
             family->names[static_cast<std::size_t>(skew * skew * family->names.size())];

    const double roll = r.unit();
    using S = ip::OperationStatus;
    s.status = roll < 0.85    ? S::Succeeded
               : roll < 0.91  ? S::Failed
               : roll < 0.94  ? S::Canceled
               : roll < 0.97  ? S::Running
               : roll < 0.985 ? S::Pending
                              : S::Stalled;
    s.started_at = started_at(i);
    // Most unfinished work is recent; a tenth of it was left behind long ago.
    if (!ip::is_terminal(s.status) && r.unit() < 0.9) {
      s.started_at =
          now_ - std::chrono::microseconds(static_cast<std::int64_t>(r.unit() * 86'400'000'000.0));
    }
    const auto range = (family->longest - family->shortest).count();
    const auto took =
        family->shortest + std::chrono::milliseconds(static_cast<std::int64_t>(r.unit() * range));

    const double tenant = r.unit();
    s.tags = {{"tenant", "t" + std::to_string(static_cast<int>(tenant * tenant * tenant * 500))},
              {"region", std::vector<const char*>{"eu-1", "us-1", "us-2", "ap-1"}[r.below(4)]},
              {"source", std::string(family->prefix).substr(0, 3) + std::to_string(r.below(5))}};
    if (r.unit() < 0.7) {
      ip::CorrelationContext c;
      c.correlation_id = correlation(i);
      c.created_at = s.started_at;
      s.correlation = c;
    }
    if (i % 1000 == 999) {
      s.parent_id = id(0);
    } else if (i % 50 != 0 && i % 50 <= 10) {
      s.parent_id = id(i - i % 50);
    }

    // Events: created, Pending -> Running, 0-3 progress events, the end.
    const auto event = [&](std::string kind, std::string message, ip::Timestamp at,
                           std::optional<std::string> data = std::nullopt) {
      const auto seq = static_cast<std::int64_t>(out.events.size()) + 1;
      out.events.push_back({.operation_id = s.id,
                            .sequence = seq,
                            .occurred_at = at,
                            .kind = std::move(kind),
                            .message = std::move(message),
                            .data_json = std::move(data),
                            .key = hex_id("k", r.next())});
    };
    ip::Timestamp at = s.started_at;
    event("status", "Created as Pending", at);
    if (s.status != S::Pending) {
      at += 5ms;
      event("status", "Pending -> Running", at);
    }
    const std::size_t steps = s.status == S::Pending ? 0 : r.below(4);
    for (std::size_t k = 0; k < steps; ++k) {
      at += took / 4;
      event("progress", "step " + std::to_string(k + 1), at,
            "{\"rows\":" + std::to_string(r.below(100000)) + "}");
    }
    s.updated_at = at;
    s.last_progress_at = at;
    if (ip::is_terminal(s.status)) {
      at = s.started_at + took;
      const std::string end = "Running -> " + std::string(ip::to_string(s.status));
      event("status", end, at,
            s.status == S::Failed ? std::optional<std::string>("{\"error\":\"upstream 502\"}")
                                  : std::nullopt);
      s.updated_at = at;
      s.completed_at = at;
      s.percent = s.status == S::Succeeded ? 100.0 : 60.0;
      s.message = s.status == S::Failed ? "upstream 502" : "done";
    } else if (s.status == S::Stalled) {
      at += 30min;
      event("status", "Running -> Stalled", at);
      s.updated_at = at;
      s.stall_count = 1;
    }
    s.version = static_cast<std::int64_t>(out.events.size());
    return out;
  }

 private:
  std::uint64_t seed_;
  ip::Timestamp now_;
  std::int64_t total_;
  Ids ids_;
};

// ------------------------------------------------------------------ helpers

double ms_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

long peak_rss_mb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

ip::Timestamp default_now() {
  const auto now = std::chrono::system_clock::now();
  return std::chrono::floor<std::chrono::days>(now);
}

struct Common {
  std::string uri;
  std::uint64_t seed = 1;
  std::int64_t operations = 0;
  ip::Timestamp now{};
  Ids ids = Ids::Mixed;

  Generator generator() const { return Generator(seed, now, operations, ids); }
};

Common common(bench::Args& args, bool operations_required) {
  Common c;
  c.uri = args.value("--store", "");
  if (c.uri.empty()) throw std::invalid_argument("--store is required");
  c.seed = static_cast<std::uint64_t>(args.number("--seed", 1));
  c.operations =
      args.number("--operations", operations_required ? 0 : 1, operations_required ? 1 : 1);
  const std::int64_t now = args.number("--now", 0, 0);
  c.now = now == 0 ? default_now() : ip::Timestamp(std::chrono::seconds(now));
  const std::string ids = args.value("--ids", "mixed");
  if (ids == "mixed") {
    c.ids = Ids::Mixed;
  } else if (ids == "time") {
    c.ids = Ids::Time;
  } else if (ids == "random") {
    c.ids = Ids::Random;
  } else {
    throw std::invalid_argument("--ids must be mixed, time or random, not '" + ids + "'");
  }
  return c;
}

// The SQLite file behind a "sqlite:PATH" URI ("" for anything else).
std::string sqlite_path(const std::string& uri) {
  if (uri.rfind("sqlite:", 0) != 0) return "";
  std::string path = uri.substr(7);
  if (path.rfind("//", 0) == 0) path = path.substr(2);
  return path.substr(0, path.find('?'));
}

// Drops the file's pages (and its WAL's) from the OS cache. Needs no privilege.
void drop_cached_pages(const std::string& path) {
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    const int fd = ::open(file.c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// ------------------------------------------------------------------ build

int build(bench::Args& args) {
  const Common c = common(args, true);
  args.finish();
  const auto store = ip::open_store(c.uri);
  ip::TransferStore* transfer = store->transfer();
  if (transfer == nullptr) throw std::runtime_error("this store cannot restore operations");
  const Generator generate = c.generator();
  constexpr std::int64_t kBatch = 1000;
  std::vector<ip::RestoreRecord> batch;
  std::int64_t events = 0;
  std::int64_t written = 0;
  const auto t0 = SteadyClock::now();
  auto last_report = t0;
  for (std::int64_t i = 0; i < c.operations; i += kBatch) {
    batch.clear();
    for (std::int64_t k = i; k < std::min(i + kBatch, c.operations); ++k) {
      batch.push_back(generate(k));
      events += static_cast<std::int64_t>(batch.back().events.size());
    }
    for (const bool w : transfer->restore_batch(batch)) written += w ? 1 : 0;
    if (SteadyClock::now() - last_report > 10s) {
      last_report = SteadyClock::now();
      std::printf("  %" PRId64 " operations, %.0f/s\n", i + kBatch,
                  static_cast<double>(i + kBatch) * 1000.0 / ms_since(t0));
      std::fflush(stdout);
    }
  }
  const double seconds = ms_since(t0) / 1000.0;
  std::printf(
      "built %" PRId64 " operations (%" PRId64 " new) with %" PRId64
      " events in %.1f s: %.0f operations/s; peak RSS %ld MB; now=%lld\n",
      c.operations, written, events, seconds, static_cast<double>(c.operations) / seconds,
      peak_rss_mb(),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::seconds>(c.now.time_since_epoch()).count()));
  return 0;
}

// ------------------------------------------------------------------ time

struct Action {
  std::string name;
  std::function<std::size_t(ip::Tracker&)> run;  // returns the rows it read
  std::function<void(ip::Tracker&)> prepare{};   // untimed, before the cold run
};

std::vector<Action> actions(const Common& c) {
  const Generator g = c.generator();
  using S = ip::OperationStatus;
  struct Named {
    std::string name;
    ip::OperationFilter filter;
  };
  std::vector<Named> filters;
  const auto add = [&](std::string name, auto&& set) {
    ip::OperationFilter f;
    set(f);
    filters.push_back({std::move(name), f});
  };
  add("no filter", [](auto&) {});
  add("name prefix Webhook.", [](auto& f) { f.name_prefix = "Webhook."; });
  add("name Report.Daily", [](auto& f) { f.name = "Report.Daily"; });
  add("status Running+Stalled", [](auto& f) { f.statuses = {S::Running, S::Stalled}; });
  add("status Failed + prefix Import.", [](auto& f) {
    f.statuses = {S::Failed};
    f.name_prefix = "Import.";
  });
  add("tag tenant=t0", [](auto& f) { f.tags = {{"tenant", "t0"}}; });
  add("tag tenant=t0 + status Failed", [](auto& f) {
    f.tags = {{"tenant", "t0"}};
    f.statuses = {S::Failed};
  });
  add("tag tenant=t0 + region=eu-1", [](auto& f) {
    f.tags = {{"tenant", "t0"}, {"region", "eu-1"}};
  });
  add("correlation", [&](auto& f) { f.correlation_id = g.correlation(c.operations / 2); });
  add("parent (N/1000 children)", [&](auto& f) { f.parent_id = g.id(0); });
  add("started in the last 7 days", [&](auto& f) { f.started_from = c.now - 24h * 7; });
  add("prefix Report. + last 7 days", [&](auto& f) {
    f.name_prefix = "Report.";
    f.started_from = c.now - 24h * 7;
  });
  add("updated in the last minute", [&](auto& f) { f.updated_from = c.now - 1min; });

  std::vector<Action> out;
  for (const Named& n : filters) {
    out.push_back({"list page 1: " + n.name, [f = n.filter](ip::Tracker& t) {
                     return t.list({.filter = f, .limit = 50}).operations.size();
                   }});
  }
  for (const Named& n : filters) {
    // Pages 1-19 are read untimed; the token they leave is page 20's.
    auto token = std::make_shared<std::optional<std::string>>();
    out.push_back(
        {"list page 20: " + n.name,
         [f = n.filter, token](ip::Tracker& t) -> std::size_t {
           if (!*token) return 0;  // fewer than 20 pages
           return t.list({.filter = f, .limit = 50, .page_token = *token}).operations.size();
         },
         [f = n.filter, token](ip::Tracker& t) {
           token->reset();
           for (int page = 1; page < 20; ++page) {
             *token = t.list({.filter = f, .limit = 50, .page_token = *token}).next_page_token;
             if (!*token) return;
           }
         }});
  }
  // What the dashboard and the API show (at most 10,000 per status), then exact.
  for (const std::optional<std::int64_t> at_most :
       {std::optional<std::int64_t>(10000), std::optional<std::int64_t>()}) {
    const std::string label = at_most ? "counts <=10k: " : "counts exact: ";
    for (const Named& n : filters) {
      out.push_back({label + n.name, [f = n.filter, at_most](ip::Tracker& t) {
                       std::size_t total = 0;
                       for (const auto& [status, count] : t.count_by_status(f, at_most)) {
                         total += static_cast<std::size_t>(count);
                       }
                       return total;
                     }});
    }
  }
  out.push_back({"find_stalled (30 min, 1000)", [](ip::Tracker& t) {
                   return t.find_stalled({.threshold = 30min, .limit = 1000}).size();
                 }});
  out.push_back({"timeline of an operation", [id = g.id(c.operations / 2 + 1)](ip::Tracker& t) {
                   const ip::Timeline tl = t.timeline(id);
                   return tl.entries.size() + tl.related.size();
                 }});
  out.push_back({"timeline of the big parent", [id = g.id(0)](ip::Tracker& t) {
                   const ip::Timeline tl = t.timeline(id);
                   return tl.entries.size() + tl.related.size();
                 }});
  out.push_back({"children page",
                 [id = g.id(0)](ip::Tracker& t) { return t.children(id, 50).operations.size(); }});
  out.push_back({"one operation", [id = g.id(c.operations / 3)](ip::Tracker& t) {
                   return t.get_snapshot(id) ? std::size_t{1} : std::size_t{0};
                 }});
  return out;
}

int time_actions(bench::Args& args) {
  const Common c = common(args, false);
  const auto repeat = static_cast<int>(args.number("--repeat", 5));
  const std::string only = args.value("--only", "");
  const std::string without = args.value("--without", "");
  args.finish();
  const std::string file = sqlite_path(c.uri);
  // The store's size decides where the generated ids fall; ask it.
  Common sized = c;
  {
    const auto store = ip::open_store(c.uri);
    ip::Tracker tracker(store);
    std::int64_t total = 0;
    for (const auto& [status, count] : tracker.count_by_status()) total += count;
    if (sized.operations <= 1) sized.operations = total;
    std::printf("store %s: %" PRId64 " operations\n", ip::redact_store_uri(c.uri).c_str(), total);
  }
  std::printf("%-48s %8s %10s %10s\n", "action", "rows", "cold ms", "warm ms");
  for (const Action& action : actions(sized)) {
    if (action.name.find(only) == std::string::npos) continue;
    if (!without.empty() && action.name.find(without) != std::string::npos) continue;
    if (action.prepare) {
      ip::Tracker untimed(ip::open_store(c.uri));
      action.prepare(untimed);
    }
    if (!file.empty()) drop_cached_pages(file);
    ip::Tracker tracker(ip::open_store(c.uri));
    auto t0 = SteadyClock::now();
    const std::size_t rows = action.run(tracker);
    const double cold = ms_since(t0);
    std::vector<double> warm;
    for (int k = 0; k < repeat; ++k) {
      t0 = SteadyClock::now();
      action.run(tracker);
      warm.push_back(ms_since(t0));
    }
    std::printf("%-48s %8zu %10.1f %10.1f\n", action.name.c_str(), rows, cold, bench::median(warm));
    std::fflush(stdout);
  }
  std::printf("peak RSS %ld MB\n", peak_rss_mb());
  return 0;
}

// ------------------------------------------------------------------ purge

// Short lifecycles (start, progress, complete) from `threads` threads until
// `stop`; each call's latency in microseconds.
class Writers {
 public:
  Writers(std::shared_ptr<ip::OperationStore> store, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, store, t] {
        ip::Tracker tracker(store);
        std::vector<double>& mine = latencies_[static_cast<std::size_t>(t)];
        while (!stop_.load(std::memory_order_relaxed)) {
          const auto timed = [&](auto&& call) {
            const auto t0 = SteadyClock::now();
            call();
            mine.push_back(ms_since(t0) * 1000.0);
          };
          ip::OperationId id;
          timed([&] { id = tracker.start("Bench.Writer").id; });
          timed([&] { tracker.update_progress(id, {.percent = 50.0}); });
          timed([&] { tracker.complete(id, ip::OperationStatus::Succeeded); });
        }
      });
    }
  }

  // Stops the threads; their latencies, sorted.
  std::vector<double> stop() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
    std::vector<double> all;
    for (const auto& mine : latencies_) all.insert(all.end(), mine.begin(), mine.end());
    std::sort(all.begin(), all.end());
    return all;
  }

 private:
  std::atomic<bool> stop_{false};
  std::array<std::vector<double>, 16> latencies_{};
  std::vector<std::thread> threads_;
};

void print_latencies(const char* label, const std::vector<double>& us, double seconds) {
  std::printf("%-28s %8.0f calls/s  p50 %7.0f us  p99 %7.0f us  max %8.0f us\n", label,
              static_cast<double>(us.size()) / seconds, bench::percentile(us, 50),
              bench::percentile(us, 99), us.empty() ? 0.0 : us.back());
}

int purge_with_writers(bench::Args& args) {
  const Common c = common(args, false);
  const auto keep_days = args.number("--keep-days", 30);
  const auto threads = static_cast<int>(args.number("--writers", 2));
  const auto seconds = args.number("--seconds", 10);
  args.finish();
  if (threads > 16) throw std::invalid_argument("--writers must be at most 16");
  const auto store = ip::open_store(c.uri);

  // The writers alone, then beside purge runs until one finds nothing more.
  Writers alone(store, threads);
  const auto t0 = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const std::vector<double> before = alone.stop();
  const double alone_seconds = ms_since(t0) / 1000.0;

  Writers beside(store, threads);
  const auto p0 = SteadyClock::now();
  ip::PurgeResult total;
  int runs = 0;
  for (;;) {
    const ip::PurgeResult r = ip::purge(
        *store, ip::RetentionPolicy::keep_terminal_for(std::chrono::hours(24 * keep_days)),
        ip::SystemClock{});
    ++runs;
    total.operations_purged += r.operations_purged;
    total.events_purged += r.events_purged;
    total.batches += r.batches;
    if (r.complete) break;
  }
  const double purge_seconds = ms_since(p0) / 1000.0;
  const std::vector<double> during = beside.stop();

  std::printf(
      "purge: %zu operations and %zu events in %.1f s (%d runs, %zu batches): "
      "%.0f operations/s\n",
      total.operations_purged, total.events_purged, purge_seconds, runs, total.batches,
      static_cast<double>(total.operations_purged) / purge_seconds);
  print_latencies("writers alone", before, alone_seconds);
  print_latencies("writers during the purge", during, purge_seconds);
  std::printf("peak RSS %ld MB\n", peak_rss_mb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: scale build|time|purge --store URI [options] (see bench/scale.cpp)\n");
    return 2;
  }
  const std::string command = argv[1];
  bench::Args args(argc - 1, argv + 1);
  try {
    if (command == "build") return build(args);
    if (command == "time") return time_actions(args);
    if (command == "purge") return purge_with_writers(args);
    std::fprintf(stderr, "unknown command '%s': build, time or purge\n", command.c_str());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "scale: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scale: %s\n", e.what());
    return 1;
  }
}
