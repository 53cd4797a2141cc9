// opsd_load: a bounded load test of opsd's HTTP API.
//
//   opsd_load [--seconds 30] [--threads 2] [--store sqlite:PATH|memory:]
//   opsd_load --url http://127.0.0.1:8080 --token TOKEN [--seconds 30]
//
// Without --url it starts its own opsd (a fresh SQLite file in a temporary
// directory by default) on a free loopback port. Each client thread runs a fixed
// mix of writes (start, progress, event, complete: about 35 %) and reads (get,
// list, counts, timeline) over one keep-alive connection, as fast as answers come,
// for the given time. It prints requests per second and p50/p99/max latency per
// request kind and overall, and exits non-zero if any request failed.
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  int seconds = 30;
  int threads = 2;
  std::string store;  // default: sqlite in a temp dir
  std::string url;    // an existing opsd instead of our own
  std::string token;
  std::string opsd = OPSD_BINARY;
};

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "opsd_load: %s\nusage: opsd_load [--seconds N] [--threads N] [--store URI] "
               "[--opsd PATH] | [--url URL --token TOKEN]\n",
               message);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
      return argv[++i];
    };
    if (arg == "--seconds") {
      o.seconds = std::stoi(value());
    } else if (arg == "--threads") {
      o.threads = std::stoi(value());
    } else if (arg == "--store") {
      o.store = value();
    } else if (arg == "--url") {
      o.url = value();
    } else if (arg == "--token") {
      o.token = value();
    } else if (arg == "--opsd") {
      o.opsd = value();
    } else {
      usage(("unknown argument " + arg).c_str());
    }
  }
  if (o.seconds < 1 || o.seconds > 3600) usage("--seconds must be 1-3600");
  if (o.threads < 1 || o.threads > 64) usage("--threads must be 1-64");
  return o;
}

// Our own opsd: started on a free port, ready when it prints its first line.
class OwnOpsd {
 public:
  OwnOpsd(const Options& o, const std::string& token) {
    dir_ = std::filesystem::temp_directory_path() / ("opsd-load-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    const std::string store = o.store.empty() ? "sqlite:" + (dir_ / "load.db").string() : o.store;
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // opsd ends with this program, however it ends
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      setenv("OPSD_TOKEN", token.c_str(), 1);
      execl(o.opsd.c_str(), o.opsd.c_str(), "--listen", "127.0.0.1:0", "--store", store.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
    std::string line;
    char c = 0;
    while (read(out_, &c, 1) == 1 && c != '\n') line.push_back(c);
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) != 0) throw std::runtime_error("opsd did not start: " + line);
    url_ = line.substr(prefix.size());
    std::printf("opsd %s on %s\n", store.c_str(), url_.c_str());
  }
  ~OwnOpsd() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    close(out_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string url_;
  std::filesystem::path dir_;
};

enum Kind { Start, Progress, Event, Complete, Get, List, Counts, Timeline, kKinds };
const char* const kKindNames[kKinds] = {"POST start",    "POST progress", "POST events",
                                        "POST complete", "GET operation", "GET list",
                                        "GET counts",    "GET timeline"};
// Out of 100: writes 35, reads 65.
const int kWeights[kKinds] = {8, 15, 6, 6, 25, 20, 10, 10};

struct ThreadResult {
  std::vector<std::vector<double>> latency_ms{kKinds};
  std::uint64_t errors = 0;
  std::string first_error;
};

void client_loop(const std::string& url, const std::string& token, int seed, Clock::time_point end,
                 ThreadResult& result) {
  httplib::Client c(url);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);  // the client writes head and body apart, like the server
  c.set_bearer_token_auth(token);
  c.set_read_timeout(10);
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::discrete_distribution<int> pick(std::begin(kWeights), std::end(kWeights));
  std::vector<std::string> open;  // operations this thread started and has not completed
  std::vector<std::string> known;
  int counter = 0;

  while (Clock::now() < end) {
    Kind kind = static_cast<Kind>(pick(rng));
    if (open.empty() && (kind == Progress || kind == Event || kind == Complete)) kind = Start;
    if (known.empty() && (kind == Get || kind == Timeline)) kind = Start;
    const std::string id = !open.empty() ? open[rng() % open.size()] : "";
    const std::string any = !known.empty() ? known[rng() % known.size()] : "";
    const auto begin = Clock::now();
    const auto send = [&]() -> httplib::Result {
      switch (kind) {
        case Start:
          return c.Post(
              "/v1/operations",
              json{{"name", "Load.Job"}, {"tags", {{"thread", std::to_string(seed)}}}}.dump(),
              "application/json");
        case Progress:
          return c.Post(
              "/v1/operations/" + id + "/progress",
              json{{"percent", ++counter % 100}, {"message", "step " + std::to_string(counter)}}
                  .dump(),
              "application/json");
        case Event:
          return c.Post("/v1/operations/" + id + "/events",
                        json{{"kind", "load.step"}, {"data", {{"n", counter}}}}.dump(),
                        "application/json");
        case Complete:
          return c.Post("/v1/operations/" + id + "/complete", json{{"status", "Succeeded"}}.dump(),
                        "application/json");
        case Get:
          return c.Get("/v1/operations/" + any);
        case List:
          return c.Get("/v1/operations?limit=20&name_prefix=Load.");
        case Counts:
          return c.Get("/v1/counts");
        case Timeline:
        case kKinds:
          break;
      }
      return c.Get("/v1/operations/" + any + "/timeline");
    };
    const httplib::Result r = send();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - begin).count();
    const bool ok = r && r->status >= 200 && r->status < 300;
    if (!ok) {
      if (result.errors++ == 0) {
        result.first_error =
            std::string(kKindNames[kind]) + ": " +
            (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error()));
      }
      continue;
    }
    result.latency_ms[kind].push_back(ms);
    if (kind == Start) {
      const std::string started = json::parse(r->body)["operation"]["id"];
      open.push_back(started);
      known.push_back(started);
      if (known.size() > 1000) known.erase(known.begin());
    } else if (kind == Complete) {
      std::erase(open, id);
    }
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void row(const char* name, std::vector<double> v, double seconds) {
  if (v.empty()) return;
  const double max = *std::max_element(v.begin(), v.end());
  const double p50 = percentile(v, 0.50);
  const double p99 = percentile(v, 0.99);
  std::printf("  %-15s %9zu %10.1f %9.2f %9.2f %9.2f\n", name, v.size(),
              static_cast<double>(v.size()) / seconds, p50, p99, max);
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  const Options o = parse(argc, argv);
  std::optional<OwnOpsd> own;
  std::string url = o.url;
  std::string token = o.token;
  if (url.empty()) {
    token = "load-test-token-0123456789";
    own.emplace(o, token);
    url = own->url();
  } else if (token.empty()) {
    usage("--url needs --token (writes need a read-write token)");
  }

  std::printf("%d client threads for %d s against %s\n", o.threads, o.seconds, url.c_str());
  std::vector<ThreadResult> results(static_cast<std::size_t>(o.threads));
  const auto begin = Clock::now();
  const auto end = begin + std::chrono::seconds(o.seconds);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < o.threads; ++t) {
      threads.emplace_back(client_loop, url, token, t + 1, end,
                           std::ref(results[static_cast<std::size_t>(t)]));
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();

  std::vector<double> all;
  std::uint64_t errors = 0;
  std::printf("\n  %-15s %9s %10s %9s %9s %9s\n", "request", "count", "req/s", "p50 ms", "p99 ms",
              "max ms");
  for (int k = 0; k < kKinds; ++k) {
    std::vector<double> merged;
    for (ThreadResult& r : results) {
      merged.insert(merged.end(), r.latency_ms[k].begin(), r.latency_ms[k].end());
    }
    all.insert(all.end(), merged.begin(), merged.end());
    row(kKindNames[k], std::move(merged), seconds);
  }
  row("all", all, seconds);
  for (const ThreadResult& r : results) {
    errors += r.errors;
    if (!r.first_error.empty()) std::fprintf(stderr, "first error: %s\n", r.first_error.c_str());
  }
  std::printf("\n%.0f requests/s, p50 %.2f ms, p99 %.2f ms, %llu errors\n",
              static_cast<double>(all.size()) / seconds, percentile(all, 0.50),
              percentile(all, 0.99), static_cast<unsigned long long>(errors));
  return errors == 0 ? 0 : 1;
}
