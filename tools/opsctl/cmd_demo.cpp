// demo: a simulated workload written into the store in real time, optionally
// shown live with the watch view.
#include <unistd.h>

#include <atomic>
#include <deque>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "context.hpp"
#include "incursa/platform/audit/audit_log.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/tools/demo_workload.hpp"
#include "incursa/tools/durations.hpp"
#include "incursa/tools/interrupt_signals.hpp"
#include "watch_view.hpp"

namespace incursa::platform::opsctl {

namespace {

using namespace std::chrono_literals;
using nlohmann::ordered_json;
using platform::OperationId;

struct DemoCommandOptions {
  std::string duration = "60s";
  std::string interval = "500ms";
  bool watch = false;
  bool json = false;
};

// Notes from the workload's thread, stamped with the time since the start.
class NoteLog {
 public:
  explicit NoteLog(std::size_t keep) : keep_(keep), start_(std::chrono::steady_clock::now()) {}

  std::string add(const std::string& text) {
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    const auto tenths =
        std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 100;
    std::string stamp = "+" + std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
    stamp.resize(std::max<std::size_t>(stamp.size(), 7), ' ');
    std::string line = stamp + " " + text;
    std::lock_guard lock(mutex_);
    notes_.push_back(line);
    if (notes_.size() > keep_) notes_.pop_front();
    return line;
  }
  std::vector<std::string> recent() const {
    std::lock_guard lock(mutex_);
    return {notes_.begin(), notes_.end()};
  }

 private:
  std::size_t keep_;
  std::chrono::steady_clock::time_point start_;
  mutable std::mutex mutex_;
  std::deque<std::string> notes_;
};

std::string status_of(platform::Tracker& tracker, const OperationId& id) {
  if (id.empty()) return "-";
  const auto s = tracker.get_snapshot(id);
  return s ? std::string(platform::to_string(s->status)) : "purged";
}

void print_summary(Context& ctx, platform::Tracker& tracker, const tools::DemoResult& r) {
  const std::string store = ctx.store_uri() == tools::kDefaultStoreUri
                                ? std::string()
                                : " --store " + ctx.shown_store_uri();
  const tools::Style& st = ctx.style();
  std::string out =
      "\n" + st.paint(r.interrupted ? "Demo interrupted" : "Demo finished", tools::Color::Bold) +
      ": " + std::to_string(1 + r.batch_ids.size() + r.webhook_ids.size() + 2) +
      " operations written to " + ctx.shown_store_uri() + "\n";
  const auto row = [&](const std::string& what, const OperationId& id, const std::string& note) {
    std::string label = what;
    label.resize(18, ' ');
    out += "  " + label + (id.empty() ? std::string("-") : id.value()) + "  " +
           status_of(tracker, id) + note + "\n";
  };
  row("Nightly.Import", r.import_id,
      ", " + std::to_string(r.batch_ids.size()) + " Import.Batch children");
  row("webhook (failed)", r.failed_id,
      ", one of " + std::to_string(r.webhook_ids.size()) + " Webhook.Process deliveries");
  row("Report.Generate", r.stalled_id, ", went quiet at 30%");
  row("Export.Customers", r.canceled_id, ", canceled by an operator mid-way");
  out += "\n" + st.paint("Look around:", tools::Color::Bold) + "\n";
  std::vector<std::pair<std::string, std::string>> hints = {{"list", "what ran, newest first"},
                                                            {"count", "how many per status"}};
  if (!r.import_id.empty()) {
    hints.push_back({"timeline " + r.import_id.value(), "what happened to the import"});
    hints.push_back({"children " + r.import_id.value(), "its batches"});
  }
  hints.push_back({"list --status Stalled,Failed", "what needs attention"});
  if (!r.failed_id.empty()) hints.push_back({"events " + r.failed_id.value(), "why it failed"});
  hints.push_back({"watch", "live view (run the demo again in another terminal)"});
  std::size_t width = 0;
  for (auto& [command, why] : hints) {
    command = ctx.program + store + " " + command;
    width = std::max(width, command.size());
  }
  for (auto& [command, why] : hints) {
    command.resize(width + 2, ' ');
    out += "  " + command + st.paint("# " + why, tools::Color::Gray) + "\n";
  }
  ctx.print(out);
}

ordered_json result_json(const tools::DemoResult& r) {
  const auto ids = [](const std::vector<OperationId>& list) {
    ordered_json out = ordered_json::array();
    for (const auto& id : list) out.push_back(id.value());
    return out;
  };
  return {{"import_id", r.import_id.value()},   {"batch_ids", ids(r.batch_ids)},
          {"webhook_ids", ids(r.webhook_ids)},  {"failed_id", r.failed_id.value()},
          {"stalled_id", r.stalled_id.value()}, {"canceled_id", r.canceled_id.value()},
          {"interrupted", r.interrupted}};
}

int run_demo(Context& ctx, const DemoCommandOptions& o) {
  const tools::Duration duration = tools::parse_duration_arg(o.duration, "--duration");
  if (duration < 1s || duration > 24h) {
    throw platform::ValidationError("--duration '" + o.duration + "'", "must be from 1s to 24h");
  }
  const tools::Duration interval = tools::parse_duration_arg(o.interval, "--interval");
  if (interval < 100ms) {
    throw platform::ValidationError("--interval '" + o.interval + "'", "must be at least 100ms");
  }

  const tools::InterruptSignals signals;  // first: no other thread exists yet
  auto store = ctx.open(tools::OpenMode::CreateIfMissing);
  // Real time whatever --now says: the demo is about watching work happen.
  platform::Tracker tracker(store);
  platform::AuditLog audit(platform::audit_store(store));
  const platform::Timestamp started =
      platform::truncate_to_micros(std::chrono::system_clock::now());

  NoteLog notes(8);
  tools::DemoOptions options;
  options.duration = std::chrono::duration_cast<std::chrono::milliseconds>(duration);
  const bool log_lines = !o.watch && !o.json;
  options.on_note = [&](const std::string& text) {
    const std::string line = notes.add(text);
    if (log_lines) {
      ctx.print(line + "\n");
      std::fflush(stdout);
    }
  };
  tools::DemoWorkload workload(tracker, tracker, audit, options);

  tools::DemoResult result;
  if (!o.watch) {
    if (log_lines) {
      ctx.print("Writing a simulated workload into " + ctx.shown_store_uri() + " for " +
                tools::format_duration(duration) +
                " (Ctrl-C stops it). Watch it from another terminal: " + ctx.program +
                " watch\n\n");
      std::fflush(stdout);
    }
    result = workload.run(signals.token());
  } else {
    std::exception_ptr failure;
    std::atomic<bool> done{false};
    std::thread worker([&] {
      try {
        result = workload.run(signals.token());
      } catch (...) {
        failure = std::current_exception();
      }
      done = true;
    });
    try {
      WatchQuery query;
      query.filter.started_from = started;  // this run's work, not what the store held before
      const FramePrinter::Mode mode = o.json ? FramePrinter::Mode::Json
                                      : tools::is_terminal(STDOUT_FILENO)
                                          ? FramePrinter::Mode::Screen
                                          : FramePrinter::Mode::Plain;
      FramePrinter printer(
          mode, ctx.style(),
          "opsctl demo  " + ctx.shown_store_uri() + "  " + tools::format_duration(duration));
      while (!done) {
        const auto next = std::chrono::steady_clock::now() + interval;
        printer.print(load_frame(tracker, query, std::chrono::system_clock::now()), notes.recent());
        // Not stopped by Ctrl-C: the workload winds down first, then the last frame shows it.
        while (!done && std::chrono::steady_clock::now() < next) std::this_thread::sleep_for(20ms);
      }
      printer.print(load_frame(tracker, query, std::chrono::system_clock::now()), notes.recent());
    } catch (...) {
      worker.join();
      throw;
    }
    worker.join();
    if (failure) std::rethrow_exception(failure);
  }
  if (o.json) {
    ctx.print_json(result_json(result));
  } else {
    print_summary(ctx, tracker, result);
  }
  return kOk;
}

}  // namespace

void add_demo_command(CLI::App& app, Context& ctx) {
  auto demo = std::make_shared<DemoCommandOptions>();
  CLI::App* d = add_subcommand(
      app, "demo",
      "Write a realistic simulated workload into the store in real time: a nightly import with "
      "child batches, webhooks arriving (one redelivered, one failing), a report that stalls "
      "and an export canceled mid-way. Uses the real clock, whatever --now says");
  d->add_option("--duration", demo->duration, "How long the workload runs, 1s-24h")
      ->default_val("60s")
      ->type_name("DURATION");
  d->add_flag("--watch", demo->watch,
              "Show it live with the watch view while it runs (plain lines when not a terminal)");
  d->add_option("--interval", demo->interval, "With --watch: time between refreshes")
      ->default_val("500ms")
      ->type_name("DURATION");
  d->add_flag("--json", demo->json,
              "At the end print {\"import_id\":...,\"batch_ids\":[...],\"webhook_ids\":[...],"
              "\"failed_id\":...,\"stalled_id\":...,\"canceled_id\":...,\"interrupted\":...}; "
              "with --watch, frames are JSON lines too");
  d->callback([&ctx, demo] { ctx.action = [&ctx, demo] { return run_demo(ctx, *demo); }; });
}

}  // namespace incursa::platform::opsctl
