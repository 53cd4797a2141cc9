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

// Says whether opsd may listen where it was asked to, and logs what a
// reader of the log should know about access.
bool listening_allowed(const OpsdOptions& o, const AuthPolicy& auth) {
  if (!o.listen.loopback() && auth.tokens.empty()) {
    log_line("refusing to listen on " + o.listen.host +
             ": beyond loopback a token is required (OPSD_TOKEN or --token-file)");
    return false;
  }
  if (auth.tokens.empty()) {
    log_line(
        "no token configured: loopback clients may read; writes are refused "
        "(set OPSD_TOKEN or --token-file to allow them)");
  } else if (o.allow_anonymous_reads && !o.listen.loopback()) {
    log_line("warning: --allow-anonymous-reads on " + o.listen.host +
             ": anyone who can reach this address can read every operation");
  }
  return true;
}

// Everything a running opsd holds, built in dependency order (and destroyed in
// the reverse): the store, the tracker chain the API writes through, the change
// feed, the HTTP server, and the background work around them.
class Service {
 public:
  Service(const OpsdOptions& o, const AuthPolicy& auth)
      : options_(o),
        store_(tools::open_tool_store(tools::resolve_store_uri(o.store),
                                      tools::OpenMode::CreateIfMissing)),
        tracker_(store_),
        audit_(audit_store(store_)),
        emitter_(audit_),
        observed_(tracker_, tracker_, &emitter_, &metrics_),
        api_(observed_, observed_, feed_),
        // The demo writes its own audit events (tools/common), so its chain only counts.
        demo_observed_(tracker_, tracker_, nullptr, &metrics_),
        demo_chain_(demo_observed_, demo_observed_, feed_),
        ctx_(api_, feed_, metrics_, auth, o.limits, std::string(store_->kind()), clock()),
        server_(with_logging(ctx_, o), o.access_log) {
    // A memory store has no other writers to find.
    if (store_->kind() != "memory") poller_.emplace(api_, feed_, clock(), poller_options(o));
    // `api_` is an ObservedTracker chain: it audits and counts each stall it marks.
    if (!o.no_stall_monitor) monitor_.emplace(api_, api_, monitor_options(o));
  }

  // The address actually bound (port 0 picks one), or nothing after logging why.
  std::optional<ListenAddress> bind() {
    const int port = server_.bind(options_.listen.host, options_.listen.port);
    if (port <= 0) {
      log_line("cannot listen on " + options_.listen.host + ":" +
               std::to_string(options_.listen.port));
      return std::nullopt;
    }
    ListenAddress bound = options_.listen;
    bound.port = port;
    return bound;
  }

  void start_background_work() {
    if (poller_) poller_->start();
    if (monitor_) monitor_->start();
    if (options_.demo) {
      demo_ = std::jthread([this](std::stop_token stop) {
        run_demo(stop, options_.demo_duration, demo_chain_, demo_chain_, audit_);
      });
    }
  }

  // Serves until `stop` fires (a signal). Returns false if the server failed.
  bool serve_until(std::stop_token stop) {
    // Runs on the signal thread (or right here, if a signal came already).
    std::stop_callback on_signal(stop, [&] {
      log_line("stopping");
      feed_.close();  // ends streams and waits, so the workers can be joined
      server_.stop();
    });
    return server_.run();
  }

  void stop_background_work() {
    feed_.close();
    if (demo_.joinable()) {
      demo_.request_stop();
      demo_.join();
    }
    if (monitor_) monitor_->stop();
    if (poller_) poller_->stop();
  }

  std::string_view store_kind() const { return store_->kind(); }

 private:
  static const Clock& clock() { return *SystemClock::instance(); }

  static ApiContext& with_logging(ApiContext& ctx, const OpsdOptions& o) {
    ctx.cors_origins = o.cors_origins;
    ctx.log = log_line;
    return ctx;
  }

  static StorePollerOptions poller_options(const OpsdOptions& o) {
    StorePollerOptions poll;
    poll.interval = o.poll_interval;
    poll.on_error = [](const std::exception& e) {
      log_line(std::string("poll failed: ") + e.what());
    };
    return poll;
  }

  static StallMonitorOptions monitor_options(const OpsdOptions& o) {
    StallMonitorOptions m;
    if (o.stall_policy_file) {
      const tools::StallPolicyFile file = tools::load_stall_policy_file(*o.stall_policy_file);
      m.policy = file.policy;
      m.fail_after_stalls = file.fail_after_stalls;
    }
    m.interval = o.stall_interval;
    m.on_scan = [](const StallScanResult& r) {
      for (const OperationSnapshot& op : r.marked) {
        log_line("stall monitor: " + op.name + " " + op.id.value() + " marked Stalled");
      }
    };
    m.on_error = [](const std::exception& e) {
      log_line(std::string("stall scan failed: ") + e.what());
    };
    return m;
  }

  const OpsdOptions& options_;
  std::shared_ptr<OperationStore> store_;
  Tracker tracker_;
  AuditLog audit_;
  PlatformEventEmitter emitter_;
  OperationMetrics metrics_;
  ObservedTracker observed_;
  ChangeFeed feed_;
  FeedTracker api_;
  ObservedTracker demo_observed_;
  FeedTracker demo_chain_;
  ApiContext ctx_;
  OpsdServer server_;
  std::optional<StorePoller> poller_;
  std::optional<StallMonitor> monitor_;
  std::jthread demo_;
};

int serve(const OpsdOptions& o) {
  // First: it blocks SIGINT/SIGTERM, and only threads started after it inherit that.
  tools::InterruptSignals signals;
  const AuthPolicy auth = load_auth(o);
  if (!listening_allowed(o, auth)) return 2;
  Service service(o, auth);
  const std::optional<ListenAddress> bound = service.bind();
  if (!bound) return 1;
  // The first line is for programs (the tests read it); the second for people.
  std::printf("listening on %s\ndashboard: %s/\n", bound->url().c_str(), bound->url().c_str());
  std::fflush(stdout);
  service.start_background_work();
  log_line("serving store " + std::string(service.store_kind()) + " on " + bound->url() +
           (o.demo ? " with the demo workload" : ""));
  const bool ok = service.serve_until(signals.token());
  service.stop_background_work();
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
