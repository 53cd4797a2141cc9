// soak: a bounded soak of the real opsd on a SQLite file (docs/opsd.md, "Soak").
//
//   soak [--minutes N] [--warmup-seconds S] [--rate R] [--keep-dir]
//
// Runs opsd as a child process with its stall monitor on a 1 s interval, and
// against it, for N minutes (default 2):
//   - 4 writer threads doing operation lifecycles over HTTP with caller-chosen
//     ids (start, 3 progress reports, 2 events, complete -- every 5th Failed),
//     each paced to R lifecycles a second (default 10), and now and then an
//     operation left Running for the stall monitor to mark Stalled;
//   - 2 subscribers reading GET /v1/stream the whole time;
//   - a retention purge every 10 s: `opsctl purge --keep 5s --archive FILE`
//     against the same file, from another process.
// Then it checks, and exits non-zero naming each failure:
//   - nothing lost or doubled: every acknowledged operation's events are exactly
//     those of a calibration run of the same lifecycle (kinds, messages, sequence
//     1..n with no gap) and its version is exact; its snapshot is present with
//     the expected status, or was purged -- then the archive holds it, terminal,
//     with the right event count (events outlive a purge);
//   - abandoned operations were marked Stalled exactly once;
//   - each subscriber that was never told to reset saw every completion;
//   - opsd's RSS (VmRSS) grew less than 10 % from the end of the warm-up to the
//     end, and its open file descriptors did not grow (the largest count in the
//     last 15 s is at most the largest in the 15 s after the warm-up);
//   - opsd stopped cleanly on SIGTERM.
// No sleeps for synchronisation: readiness comes from opsd's "listening on" line,
// the load and the samplers are paced by the clock, the end waits on condition
// variables with deadlines.
#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kToken = "soak-token-0123456789abcdef";
constexpr int kWriters = 4;
constexpr int kSubscribers = 2;
constexpr auto kPurgeEvery = 10s;
constexpr const char* kPurgeKeep = "5s";
constexpr auto kStallThreshold = 2s;
constexpr auto kStallInterval = 1s;
constexpr auto kMetricWindow = 15s;

struct Options {
  double minutes = 2;
  double warmup_seconds = 30;
  double rate = 10;  // lifecycles per writer per second
  bool keep_dir = false;
  std::string opsd = SOAK_OPSD;
  std::string opsctl = SOAK_OPSCTL;
};

// ------------------------------------------------------------------ failures

std::mutex failures_mutex;
std::vector<std::string> failures;

void fail(const std::string& what) {
  std::lock_guard lock(failures_mutex);
  if (failures.size() < 200) failures.push_back(what);
}

// The end of the run and the samplers wait on this: stop flags, subscriber progress.
std::mutex done_mutex;
std::condition_variable done_cv;

// ------------------------------------------------------------------ processes

struct Child {
  pid_t pid = -1;
  int out = -1;  // its stdout, read end
};

Child spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& stderr_path) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // the soak dies, its children go too
    dup2(pipe_fds[1], STDOUT_FILENO);
    const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (err >= 0) dup2(err, STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  return {pid, pipe_fds[0]};
}

std::optional<std::string> read_line(int fd, SteadyClock::time_point deadline) {
  std::string line;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char c = 0;
    if (read(fd, &c, 1) <= 0) return std::nullopt;
    if (c == '\n') return line;
    line.push_back(c);
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string file_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ------------------------------------------------------------------ /proc

struct Sample {
  double at_s = 0;  // seconds since the load started
  long rss_kb = 0;
  long fds = 0;
};

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

long fd_count(pid_t pid) {
  std::error_code ec;
  long n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

// ------------------------------------------------------------------ HTTP

// The member `key` of `object`, or null when there is none. (operator[] on a
// const json is undefined behaviour for a missing key: it crashed this program
// now and then, on the last list page, which has no next_page_token.)
const json& field(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it != object.end() ? *it : kNull;
}

std::unique_ptr<httplib::Client> client(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_bearer_token_auth(kToken);
  c->set_keep_alive(true);
  c->set_connection_timeout(10);
  c->set_read_timeout(60);
  c->set_write_timeout(10);
  return c;
}

std::atomic<long> retries_503{0};

// POSTs a write; retries a 503 (the store was busy: nothing was written, contract §9),
// never anything else. Returns the parsed body, or nullopt after recording why.
std::optional<json> post(httplib::Client& c, const std::string& path, const json& body,
                         int expect_status) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto r = c.Post(path, body.dump(), "application/json");
    if (!r) {
      fail("POST " + path + ": " + httplib::to_string(r.error()) +
           " (unacknowledged: the soak cannot tell whether it was applied)");
      return std::nullopt;
    }
    if (r->status == 503) {
      ++retries_503;
      // Pacing a retry, not synchronising: the store was busy (the purge).
      std::this_thread::sleep_for(20ms);
      continue;
    }
    if (r->status != expect_status) {
      fail("POST " + path + ": HTTP " + std::to_string(r->status) + " " + r->body);
      return std::nullopt;
    }
    return json::parse(r->body, nullptr, false);
  }
  fail("POST " + path + ": still 503 after 200 attempts");
  return std::nullopt;
}

std::optional<json> get_json(httplib::Client& c, const std::string& path, int& status) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto r = c.Get(path);
    if (!r) {
      status = 0;
      return std::nullopt;
    }
    status = r->status;
    if (status == 503) {
      ++retries_503;
      std::this_thread::sleep_for(20ms);
      continue;
    }
    return json::parse(r->body, nullptr, false);
  }
  status = 503;
  return std::nullopt;
}

// ------------------------------------------------------------------ lifecycles

enum class Kind { Succeeds, Fails, Abandoned };

struct Acked {
  std::string id;
  Kind kind = Kind::Succeeds;
  SteadyClock::time_point at{};  // when the last write was acknowledged
};

// One lifecycle; true once every write was acknowledged.
bool lifecycle(httplib::Client& c, const std::string& id, Kind kind) {
  const std::string base = "/v1/operations/" + id;
  const std::string name = kind == Kind::Abandoned ? "Soak.Abandoned" : "Soak.Job";
  if (!post(c, "/v1/operations", {{"id", id}, {"name", name}, {"tags", {{"soak", "yes"}}}}, 201)) {
    return false;
  }
  if (kind == Kind::Abandoned) {
    return post(c, base + "/progress", {{"percent", 10}, {"message", "then silence"}}, 200)
        .has_value();
  }
  for (int step = 1; step <= 3; ++step) {
    if (!post(c, base + "/progress",
              {{"percent", step * 25}, {"message", "step " + std::to_string(step)}}, 200)) {
      return false;
    }
    if (step <= 2 && !post(c, base + "/events",
                           {{"kind", "soak.step"},
                            {"message", "event " + std::to_string(step)},
                            {"data", {{"step", step}}}},
                           201)) {
      return false;
    }
  }
  const bool failed = kind == Kind::Fails;
  return post(c, base + "/complete",
              {{"status", failed ? "Failed" : "Succeeded"}, {"message", failed ? "no" : "yes"}},
              200)
      .has_value();
}

// What the store holds for one operation: its events as (sequence, kind, message).
struct EventRow {
  std::int64_t sequence = 0;
  std::string kind;
  std::string message;
  bool operator==(const EventRow&) const = default;
};

std::optional<std::vector<EventRow>> events_of(httplib::Client& c, const std::string& id) {
  int status = 0;
  const auto body = get_json(c, "/v1/operations/" + id + "/events?limit=10000", status);
  if (!body || status != 200 || !body->contains("events")) return std::nullopt;
  std::vector<EventRow> rows;
  for (const json& e : field(*body, "events")) {
    const json& message = field(e, "message");  // null when the event has none
    rows.push_back({e.value("sequence", std::int64_t{0}), e.value("kind", ""),
                    message.is_string() ? message.get<std::string>() : ""});
  }
  return rows;
}

std::string describe(const std::vector<EventRow>& rows) {
  std::string s;
  for (const EventRow& r : rows) {
    s += std::to_string(r.sequence) + ":" + r.kind + "(" + r.message + ") ";
  }
  return s;
}

// ------------------------------------------------------------------ SSE

struct Subscriber {
  std::mutex mutex;
  std::set<std::string> completed;  // Soak.Job ids seen terminal
  long changes = 0;
  long resets = 0;
  long disconnects = 0;
};

void subscribe(int port, Subscriber& sub, const std::atomic<bool>& stop) {
  while (!stop) {
    auto c = client(port);
    c->set_read_timeout(30);  // heartbeats come every second
    std::string buffer;
    const auto r = c->Get("/v1/stream", [&](const char* data, std::size_t size) {
      buffer.append(data, size);
      std::size_t end = 0;
      while ((end = buffer.find("\n\n")) != std::string::npos) {
        const std::string frame = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        if (frame.find("event: reset") != std::string::npos) {
          std::lock_guard lock(sub.mutex);
          ++sub.resets;
          continue;
        }
        if (frame.find("event: change") == std::string::npos) continue;
        const auto at = frame.find("data: ");
        if (at == std::string::npos) continue;
        const json change = json::parse(frame.substr(at + 6), nullptr, false);
        if (!change.is_object() || !change.contains("operation")) continue;
        const json& op = field(change, "operation");
        const std::string status = op.value("status", "");
        const bool completion =
            op.value("name", "") == "Soak.Job" && (status == "Succeeded" || status == "Failed");
        {
          std::lock_guard lock(sub.mutex);
          ++sub.changes;
          if (completion) sub.completed.insert(op.value("id", ""));
        }
        if (completion) {
          { std::lock_guard lock(done_mutex); }  // the waiter is either waiting or not yet checking
          done_cv.notify_all();
        }
      }
      return !stop.load();
    });
    if (!stop) {
      std::lock_guard lock(sub.mutex);
      ++sub.disconnects;
      fail(std::string("a live stream ended early: ") +
           (r ? "HTTP " + std::to_string(r->status) : httplib::to_string(r.error())));
    }
  }
}

// ------------------------------------------------------------------ main

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--minutes") {
      o.minutes = std::stod(value());
    } else if (a == "--warmup-seconds") {
      o.warmup_seconds = std::stod(value());
    } else if (a == "--rate") {
      o.rate = std::stod(value());
    } else if (a == "--opsd") {
      o.opsd = value();
    } else if (a == "--opsctl") {
      o.opsctl = value();
    } else if (a == "--keep-dir") {
      o.keep_dir = true;
    } else {
      std::fprintf(stderr,
                   "usage: soak [--minutes N (2)] [--warmup-seconds S (30)] [--rate R (10 "
                   "lifecycles/s per writer)] [--keep-dir] [--opsd PATH] [--opsctl PATH]\n");
      return std::nullopt;
    }
  }
  const double total_s = o.minutes * 60;
  if (o.minutes <= 0 || o.rate <= 0 || o.warmup_seconds < 0 ||
      o.warmup_seconds + 2 * 15 > total_s) {
    throw std::invalid_argument(
        "--minutes must leave 30 s after the warm-up (two 15 s measuring windows)");
  }
  return o;
}

int run(const Options& o) {
  signal(SIGPIPE, SIG_IGN);
  std::string pattern = (fs::temp_directory_path() / "opsd-soak-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  const fs::path dir = pattern;
  const std::string store = "sqlite:" + (dir / "soak.db").string();
  const fs::path archive = dir / "purged.jsonl";
  const fs::path opsd_log = dir / "opsd.log";
  {
    std::ofstream policy(dir / "stall-policy.json");
    policy << R"({"default":"1h","thresholds":{"Soak.Abandoned":")" << kStallThreshold.count()
           << R"(s"}})";
  }
  std::printf(
      "soak: %.1f min, %d writers at %.1f lifecycles/s each, %d live streams, purge "
      "every %llds (--keep %s), stall monitor every %llds; files in %s\n",
      o.minutes, kWriters, o.rate, kSubscribers, static_cast<long long>(kPurgeEvery.count()),
      kPurgeKeep, static_cast<long long>(kStallInterval.count()), dir.c_str());
  std::fflush(stdout);

  // The store exists before opsd starts, so the purge never races its creation.
  if (const Child m = spawn({o.opsctl, "--store", store, "migrate"}, {}, opsd_log.string()); true) {
    read_all(m.out);
    close(m.out);
    if (wait_exit(m.pid) != 0) throw std::runtime_error("opsctl migrate failed");
  }

  Child opsd = spawn({o.opsd, "--store", store, "--listen", "127.0.0.1:0", "--stall-policy",
                      (dir / "stall-policy.json").string(), "--stall-interval",
                      std::to_string(kStallInterval.count()) + "s", "--stream-heartbeat", "1s",
                      "--poll-interval", "1s"},
                     {{"OPSD_TOKEN", kToken}}, opsd_log.string());
  const auto line = read_line(opsd.out, SteadyClock::now() + 30s);
  const std::string prefix = "listening on http://";
  if (!line || line->rfind(prefix, 0) != 0) {
    kill(opsd.pid, SIGKILL);
    wait_exit(opsd.pid);
    throw std::runtime_error("opsd did not start: " + file_text(opsd_log));
  }
  const int port = std::stoi(line->substr(line->rfind(':') + 1));

  // Calibration: what each lifecycle leaves in the store, once, before the load.
  auto checker = client(port);
  std::map<Kind, std::vector<EventRow>> expected;
  std::map<Kind, std::int64_t> expected_version;
  for (Kind kind : {Kind::Succeeds, Kind::Fails, Kind::Abandoned}) {
    const std::string id = "soak-calibrate-" + std::to_string(static_cast<int>(kind));
    if (!lifecycle(*checker, id, kind)) throw std::runtime_error("calibration failed");
    const auto rows = events_of(*checker, id);
    int status = 0;
    const auto op = get_json(*checker, "/v1/operations/" + id, status);
    if (!rows || !op || status != 200) throw std::runtime_error("calibration read failed");
    expected[kind] = *rows;
    expected_version[kind] = field(*op, "operation").value("version", std::int64_t{0});
  }
  std::printf("calibrated: a job leaves %zu events (%s), version %lld\n",
              expected[Kind::Succeeds].size(), describe(expected[Kind::Succeeds]).c_str(),
              static_cast<long long>(expected_version[Kind::Succeeds]));

  const auto load_start = SteadyClock::now();
  const auto load_end = load_start + std::chrono::duration_cast<SteadyClock::duration>(
                                         std::chrono::duration<double>(o.minutes * 60));
  std::atomic<bool> stop_load{false};
  std::atomic<bool> stop_streams{false};

  // Sampler: opsd's RSS and fds once a second.
  std::vector<Sample> samples;
  std::thread sampler([&] {
    auto next = load_start;
    std::unique_lock lock(done_mutex);
    while (!stop_load) {
      lock.unlock();
      const double at = std::chrono::duration<double>(SteadyClock::now() - load_start).count();
      const Sample s{at, rss_kb(opsd.pid), fd_count(opsd.pid)};
      lock.lock();
      samples.push_back(s);
      next += 1s;
      done_cv.wait_until(lock, next, [&] { return stop_load.load(); });
    }
  });

  // Subscribers.
  std::vector<std::unique_ptr<Subscriber>> subs;
  std::vector<std::thread> sub_threads;
  for (int i = 0; i < kSubscribers; ++i) {
    subs.push_back(std::make_unique<Subscriber>());
    sub_threads.emplace_back(subscribe, port, std::ref(*subs.back()), std::cref(stop_streams));
  }

  // Purger: opsctl purge in another process every 10 s.
  long purges = 0;
  long purged_ops = 0;
  std::thread purger([&] {
    auto next = load_start + kPurgeEvery;
    std::unique_lock lock(done_mutex);
    while (!done_cv.wait_until(lock, next, [&] { return stop_load.load(); })) {
      lock.unlock();
      const Child p = spawn({o.opsctl, "--store", store, "purge", "--keep", kPurgeKeep, "--archive",
                             archive.string(), "--json"},
                            {}, opsd_log.string());
      const std::string out = read_all(p.out);
      close(p.out);
      const int code = wait_exit(p.pid);
      const json result = json::parse(out, nullptr, false);
      lock.lock();
      ++purges;
      if (code != 0 || !result.is_object()) {
        fail("opsctl purge exited " + std::to_string(code) + ": " + out);
      } else {
        purged_ops += result.value("operations_purged", 0L);
      }
      next += kPurgeEvery;
    }
  });

  // Writers.
  std::vector<std::vector<Acked>> acked(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto c = client(port);
      const auto period = std::chrono::duration_cast<SteadyClock::duration>(
          std::chrono::duration<double>(1.0 / o.rate));
      auto next = SteadyClock::now();
      for (long n = 0; !stop_load && SteadyClock::now() < load_end; ++n) {
        const Kind kind =
            n % 40 == 39 ? Kind::Abandoned : (n % 5 == 4 ? Kind::Fails : Kind::Succeeds);
        const std::string id = "soak-w" + std::to_string(w) + "-" + std::to_string(n);
        if (lifecycle(*c, id, kind)) acked[w].push_back({id, kind, SteadyClock::now()});
        next += period;
        std::this_thread::sleep_until(next);  // pacing the load, not synchronising
      }
    });
  }
  for (std::thread& t : writers) t.join();
  const auto writes_done = SteadyClock::now();

  // Every completion must reach every subscriber that was not told to reset.
  std::set<std::string> completed_ids;
  std::size_t total_acked = 0;
  for (const auto& list : acked) {
    total_acked += list.size();
    for (const Acked& a : list) {
      if (a.kind != Kind::Abandoned) completed_ids.insert(a.id);
    }
  }
  {
    std::unique_lock lock(done_mutex);
    done_cv.wait_until(lock, SteadyClock::now() + 30s, [&] {
      for (const auto& s : subs) {
        std::lock_guard sub_lock(s->mutex);
        if (s->resets == 0 && s->completed.size() < completed_ids.size()) return false;
      }
      return true;
    });
    stop_load = true;
  }
  done_cv.notify_all();
  sampler.join();
  purger.join();
  stop_streams = true;
  for (std::thread& t : sub_threads) t.join();

  // ---------------------------------------------------------- verification
  std::map<std::string, json> archived;
  {
    std::ifstream in(archive);
    std::string text;
    while (std::getline(in, text)) {
      const json line = json::parse(text, nullptr, false);
      if (!line.is_object()) {
        fail("archive line is not JSON: " + text);
        continue;
      }
      const std::string id = line.value("id", "");
      if (archived.count(id) != 0) fail("purged twice: " + id);
      archived[id] = line;
    }
  }
  long present = 0, purged_seen = 0, stalled = 0, still_running = 0, mismatches = 0;
  for (const auto& list : acked) {
    for (const Acked& a : list) {
      const auto rows = events_of(*checker, a.id);
      int status = 0;
      const auto body = get_json(*checker, "/v1/operations/" + a.id, status);
      if (!rows) {
        fail(a.id + ": events could not be read");
        ++mismatches;
        continue;
      }
      if (a.kind == Kind::Abandoned) {
        // Never purged (not terminal); Stalled once the monitor had time to see it.
        if (status != 200 || !body) {
          fail(a.id + ": an open operation is gone (HTTP " + std::to_string(status) + ")");
          ++mismatches;
          continue;
        }
        const json& op = field(*body, "operation");
        const std::string st = op.value("status", "");
        const bool old_enough = writes_done - a.at > kStallThreshold + 3 * kStallInterval;
        std::vector<EventRow> want = expected[Kind::Abandoned];
        std::int64_t want_version = expected_version[Kind::Abandoned];
        if (st == "Stalled") {
          ++stalled;
          want.push_back({static_cast<std::int64_t>(want.size() + 1), "status", ""});
          ++want_version;
          if (op.value("stall_count", 0) != 1) fail(a.id + ": stall_count is not 1");
          if (!rows->empty()) want.back().message = rows->back().message;
          if (want.back().message.find("Stalled") == std::string::npos) {
            fail(a.id + ": the last event is not the move to Stalled: " + describe(*rows));
          }
        } else if (st == "Running" && !old_enough) {
          ++still_running;
        } else {
          fail(a.id + ": abandoned operation is " + st + ", not Stalled");
          ++mismatches;
        }
        if (*rows != want || op.value("version", std::int64_t{0}) != want_version) {
          fail(a.id + ": events " + describe(*rows) + " expected " + describe(want));
          ++mismatches;
        }
        continue;
      }
      const std::string want_status = a.kind == Kind::Fails ? "Failed" : "Succeeded";
      if (*rows != expected[a.kind]) {
        fail(a.id + ": events " + describe(*rows) + " expected " + describe(expected[a.kind]));
        ++mismatches;
      }
      if (status == 200 && body) {
        ++present;
        const json& op = field(*body, "operation");
        if (op.value("status", "") != want_status ||
            op.value("version", std::int64_t{0}) != expected_version[a.kind]) {
          fail(a.id + ": snapshot " + op.dump() + " expected status " + want_status);
          ++mismatches;
        }
        if (archived.count(a.id) != 0) fail(a.id + ": archived as purged but still present");
      } else if (status == 404) {
        ++purged_seen;
        const auto it = archived.find(a.id);
        if (it == archived.end()) {
          fail(a.id + ": acknowledged, gone, and not in the purge archive (lost)");
          ++mismatches;
        } else if (it->second.value("status", "") != want_status ||
                   it->second.value("event_count", std::size_t{0}) != expected[a.kind].size()) {
          fail(a.id + ": archived as " + it->second.dump());
          ++mismatches;
        }
      } else {
        fail(a.id + ": GET answered HTTP " + std::to_string(status));
        ++mismatches;
      }
    }
  }
  // Nothing the soak did not write: every operation in the store is one it knows.
  {
    std::set<std::string> known;
    for (const auto& list : acked) {
      for (const Acked& a : list) known.insert(a.id);
    }
    std::string token;
    long extra = 0;
    do {
      int status = 0;
      std::string path = "/v1/operations?tag=soak:yes&page_size=1000";
      if (!token.empty()) path += "&page_token=" + httplib::detail::encode_query_param(token);
      const auto page = get_json(*checker, path, status);
      if (!page || status != 200) {
        fail("listing the store failed: HTTP " + std::to_string(status));
        break;
      }
      for (const json& op : field(*page, "operations")) {
        const std::string id = op.value("id", "");
        if (known.count(id) == 0 && id.rfind("soak-calibrate-", 0) != 0) ++extra;
      }
      // The last page has no next_page_token at all.
      const json& next = field(*page, "next_page_token");
      token = next.is_string() ? next.get<std::string>() : "";
    } while (!token.empty());
    if (extra > 0)
      fail(std::to_string(extra) + " operations in the store that no writer got acknowledged");
  }

  // Subscribers.
  for (std::size_t i = 0; i < subs.size(); ++i) {
    const Subscriber& s = *subs[i];
    std::size_t missing = 0;
    for (const std::string& id : completed_ids) missing += s.completed.count(id) == 0 ? 1 : 0;
    std::printf("stream %zu: %ld changes, %zu of %zu completions, %ld resets, %ld disconnects\n",
                i + 1, s.changes, completed_ids.size() - missing, completed_ids.size(), s.resets,
                s.disconnects);
    if (s.resets == 0 && missing > 0) {
      fail("stream " + std::to_string(i + 1) + " missed " + std::to_string(missing) +
           " completions without being told to reset");
    }
    if (s.changes == 0) fail("stream " + std::to_string(i + 1) + " saw no changes");
  }

  // RSS and fds: the first 15 s after the warm-up against the last 15 s.
  const double total_s = std::chrono::duration<double>(writes_done - load_start).count();
  long rss_base = 0, rss_end = 0, fd_base = 0, fd_end = 0, rss_max = 0;
  for (const Sample& s : samples) {
    if (s.rss_kb < 0 || s.fds < 0) continue;
    rss_max = std::max(rss_max, s.rss_kb);
    if (s.at_s >= o.warmup_seconds &&
        s.at_s < o.warmup_seconds + std::chrono::duration<double>(kMetricWindow).count()) {
      rss_base = std::max(rss_base, s.rss_kb);
      fd_base = std::max(fd_base, s.fds);
    }
    if (s.at_s >= total_s - std::chrono::duration<double>(kMetricWindow).count() &&
        s.at_s <= total_s) {
      rss_end = std::max(rss_end, s.rss_kb);
      fd_end = std::max(fd_end, s.fds);
    }
  }
  const double growth = rss_base > 0 ? 100.0 * (rss_end - rss_base) / rss_base : 0;
  std::printf(
      "opsd RSS: %ld KiB after warm-up (%.0f s), %ld KiB at the end (%+.1f %%), peak "
      "%ld KiB\n",
      rss_base, o.warmup_seconds, rss_end, growth, rss_max);
  std::printf("opsd fds: %ld after warm-up, %ld at the end\n", fd_base, fd_end);
  if (rss_base <= 0 || rss_end <= 0) fail("no RSS samples in a measuring window");
  if (growth >= 10.0) fail("opsd RSS grew " + std::to_string(growth) + " % after warm-up");
  if (fd_end > fd_base) {
    fail("opsd's open fds grew from " + std::to_string(fd_base) + " to " + std::to_string(fd_end));
  }

  std::printf("writes: %zu lifecycles acknowledged in %.0f s (%.1f/s), %ld HTTP 503 retried\n",
              total_acked, total_s, static_cast<double>(total_acked) / total_s, retries_503.load());
  std::printf(
      "check: %ld present, %ld purged (%zu archived by %ld purges, %ld reported), %ld "
      "abandoned marked Stalled, %ld too recent to be, %ld mismatches\n",
      present, purged_seen, archived.size(), purges, purged_ops, stalled, still_running,
      mismatches);
  if (purges == 0) fail("no purge ran");
  if (purged_seen == 0) fail("no acknowledged operation was purged: the purge was not exercised");
  if (stalled == 0) fail("the stall monitor marked nothing: it was not exercised");

  kill(opsd.pid, SIGTERM);
  const int code = wait_exit(opsd.pid);
  close(opsd.out);
  if (code != 0) fail("opsd exited " + std::to_string(code) + " on SIGTERM");

  if (!failures.empty()) {
    std::printf("FAILED (%zu):\n", failures.size());
    for (const std::string& f : failures) std::printf("  %s\n", f.c_str());
    std::printf("opsd's log: %s\n", opsd_log.c_str());
    return 1;
  }
  std::printf("PASSED\n");
  if (!o.keep_dir) fs::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = parse(argc, argv);
    if (!options) return 2;
    return run(*options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soak: %s\n", e.what());
    return 2;
  }
}
