// opsd: the operations API and live dashboard (docs/opsd.md).
//
// Wiring, outermost first:
//   HTTP routes -> FeedTracker (publishes changes) -> ObservedTracker (audit +
//   metrics) -> Tracker -> store
// plus a StorePoller publishing other processes' writes, a StallMonitor, and,
// with --demo, the demo workload running in a loop on the same chain.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <mutex>
#include <stop_token>
#include <thread>

#include "change_feed.hpp"
#include "feed_tracker.hpp"
#include "incursa/platform/audit/audit_log.hpp"
#include "incursa/platform/observability/observed_tracker.hpp"
#include "incursa/platform/operations/stall_monitor.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/tools/demo_workload.hpp"
#include "incursa/tools/interrupt_signals.hpp"
#include "incursa/tools/stall_policy_file.hpp"
#include "incursa/tools/store_config.hpp"
#include "options.hpp"
#include "server.hpp"
#include "store_poller.hpp"

namespace {

using namespace incursa::platform;
using namespace incursa::platform::opsd;
namespace tools = incursa::tools;

std::mutex log_mutex;

void log_line(const std::string& text) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::lock_guard lock(log_mutex);
  std::fprintf(stderr, "%s opsd: %s\n", stamp, text.c_str());
}

AuthPolicy load_auth(const OpsdOptions& o) {
  AuthPolicy auth;
  auth.anonymous_reads = o.allow_anonymous_reads;
  if (const char* env = std::getenv("OPSD_TOKEN"); env && *env) {
    auth.tokens.add(env, Access::Write, "OPSD_TOKEN", "OPSD_TOKEN");
    // Nothing opsd starts needs it; keep it out of any child's environment.
    unsetenv("OPSD_TOKEN");
  }
  if (o.token_file) {
    struct stat st {};
    if (stat(o.token_file->c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      log_line("warning: token file " + *o.token_file +
               " is readable by group or others; chmod 600 it");
    }
    auth.tokens.load_file(*o.token_file);
  }
  return auth;
}

// Runs the demo scenario again and again until stopped, so the dashboard always
// has something moving.
void run_demo(std::stop_token stop, std::chrono::milliseconds duration, OperationTracker& tracker,
              OperationWatcher& watcher, AuditEventWriter& audit) {
  int round = 0;
  while (!stop.stop_requested()) {
    ++round;
    log_line("demo: round " + std::to_string(round) + " starting");
    try {
      tools::DemoOptions options;
      options.duration = duration;
      options.on_note = [](const std::string& note) { log_line("demo: " + note); };
      tools::DemoWorkload(tracker, watcher, audit, options).run(stop);
    } catch (const std::exception& e) {
      log_line(std::string("demo: round failed: ") + e.what());
      tools::sleep_until(std::chrono::steady_clock::now() + std::chrono::seconds(5), stop);
    }
  }
}

int serve(const OpsdOptions& o) {
  // First: it blocks SIGINT/SIGTERM, and only threads started after it inherit that.
  tools::InterruptSignals signals;
  const AuthPolicy auth = load_auth(o);
  if (!o.listen.loopback() && auth.tokens.empty()) {
    log_line("refusing to listen on " + o.listen.host +
             ": beyond loopback a token is required (OPSD_TOKEN or --token-file)");
    return 2;
  }
  if (auth.tokens.empty()) {
    log_line(
        "no token configured: loopback clients may read; writes are refused "
        "(set OPSD_TOKEN or --token-file to allow them)");
  } else if (o.allow_anonymous_reads && !o.listen.loopback()) {
    log_line("warning: --allow-anonymous-reads on " + o.listen.host +
             ": anyone who can reach this address can read every operation");
  }

  const std::string uri = tools::resolve_store_uri(o.store);
  const auto store = tools::open_tool_store(uri, tools::OpenMode::CreateIfMissing);
  const auto clock = SystemClock::instance();

  Tracker tracker(store);
  AuditLog audit(audit_store(store));
  PlatformEventEmitter emitter(audit);
  OperationMetrics metrics;
  ObservedTracker observed(tracker, tracker, &emitter, &metrics);
  ChangeFeed feed;
  FeedTracker api(observed, observed, feed);
  // The demo writes its own audit events (tools/common), so its chain only counts.
  ObservedTracker demo_observed(tracker, tracker, nullptr, &metrics);
  FeedTracker demo_chain(demo_observed, demo_observed, feed);

  ApiContext ctx(api, feed, metrics, auth, o.limits, std::string(store->kind()), *clock);
  ctx.cors_origins = o.cors_origins;
  ctx.log = log_line;
  OpsdServer server(ctx, o.access_log);

  StorePollerOptions poll;
  poll.interval = o.poll_interval;
  poll.on_error = [](const std::exception& e) {
    log_line(std::string("poll failed: ") + e.what());
  };
  // A memory store has no other writers to find.
  std::optional<StorePoller> poller;
  if (store->kind() != "memory") poller.emplace(api, feed, *clock, poll);

  std::optional<StallMonitor> monitor;
  if (!o.no_stall_monitor) {
    StallMonitorOptions m;
    if (o.stall_policy_file) {
      const tools::StallPolicyFile file = tools::load_stall_policy_file(*o.stall_policy_file);
      m.policy = file.policy;
      m.fail_after_stalls = file.fail_after_stalls;
    }
    m.interval = o.stall_interval;
    // `api` is an ObservedTracker chain: it already audits and counts each stall.
    m.on_scan = [](const StallScanResult& r) {
      for (const OperationSnapshot& op : r.marked) {
        log_line("stall monitor: " + op.name + " " + op.id.value() + " marked Stalled");
      }
    };
    m.on_error = [](const std::exception& e) {
      log_line(std::string("stall scan failed: ") + e.what());
    };
    monitor.emplace(api, api, std::move(m));
  }

  const int port = server.bind(o.listen.host, o.listen.port);
  if (port <= 0) {
    log_line("cannot listen on " + o.listen.host + ":" + std::to_string(o.listen.port));
    return 1;
  }
  ListenAddress bound = o.listen;
  bound.port = port;
  // The first line is for programs (the tests read it); the second for people.
  std::printf("listening on %s\ndashboard: %s/\n", bound.url().c_str(), bound.url().c_str());
  std::fflush(stdout);

  if (poller) poller->start();
  if (monitor) monitor->start();
  std::jthread demo;
  if (o.demo) {
    demo = std::jthread([&](std::stop_token stop) {
      run_demo(stop, o.demo_duration, demo_chain, demo_chain, audit);
    });
  }
  log_line("serving store " + std::string(store->kind()) + " on " + bound.url() +
           (o.demo ? " with the demo workload" : ""));

  bool ok = false;
  {
    // Runs on the signal thread (or right here, if a signal came already).
    std::stop_callback on_signal(signals.token(), [&] {
      log_line("stopping");
      feed.close();  // ends streams and waits, so the workers can be joined
      server.stop();
    });
    ok = server.run();
  }
  feed.close();
  if (demo.joinable()) {
    demo.request_stop();
    demo.join();
  }
  if (monitor) monitor->stop();
  if (poller) poller->stop();
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto options = parse_options(argc, argv, exit_code);
  if (!options) return exit_code;
  try {
    return serve(*options);
  } catch (const std::exception& e) {
    log_line(e.what());
    return 1;
  }
}
