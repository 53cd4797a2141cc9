// watch: a live view of active work.
#include <unistd.h>

#include <memory>

#include "context.hpp"
#include "filters.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/tools/durations.hpp"
#include "incursa/tools/interrupt_signals.hpp"
#include "watch_view.hpp"

namespace incursa::platform::opsctl {

namespace {

struct WatchOptions {
  FilterOptions filters;
  std::string interval = "1s";
  std::string run_for;
  std::int64_t limit = 50;  // signed: "-5" must read as -5, not as a huge count
  bool once = false;
  bool json = false;
};

int run_watch(Context& ctx, const WatchOptions& o) {
  const tools::Duration interval = tools::parse_duration_arg(o.interval, "--interval");
  if (interval < std::chrono::milliseconds(100)) {
    throw platform::ValidationError("--interval '" + o.interval + "'", "must be at least 100ms");
  }
  std::optional<std::chrono::steady_clock::time_point> until;
  if (!o.run_for.empty()) {
    until = std::chrono::steady_clock::now() + tools::parse_duration_arg(o.run_for, "--for");
  }
  if (o.limit < 1 || o.limit > 1000) {
    throw platform::ValidationError("--limit " + std::to_string(o.limit), "must be from 1 to 1000");
  }
  WatchQuery query;
  query.filter = o.filters.build(ctx.now());
  query.limit = static_cast<std::size_t>(o.limit);

  const tools::InterruptSignals signals;  // first: no other thread exists yet
  platform::Tracker tracker = ctx.tracker(ctx.open(tools::OpenMode::MustExist));
  const FramePrinter::Mode mode = o.json                              ? FramePrinter::Mode::Json
                                  : tools::is_terminal(STDOUT_FILENO) ? FramePrinter::Mode::Screen
                                                                      : FramePrinter::Mode::Plain;
  FramePrinter printer(mode, ctx.style(), "opsctl watch  " + ctx.shown_store_uri());
  for (;;) {
    const auto next = std::chrono::steady_clock::now() + interval;
    printer.print(load_frame(tracker, query, ctx.now()));
    if (o.once || (until && next >= *until)) break;
    if (!tools::sleep_until(next, signals.token())) break;
  }
  return kOk;
}

}  // namespace

void add_watch_command(CLI::App& app, Context& ctx) {
  auto watch = std::make_shared<WatchOptions>();
  CLI::App* w = add_subcommand(
      app, "watch",
      "A live view of active operations with progress bars, redrawn in place on a terminal; "
      "plain lines (printed when something changed) when the output is not a terminal. "
      "Ctrl-C stops it");
  watch->filters.add_to(*w, /*with_status=*/false);
  w->add_option("--interval", watch->interval, "Time between refreshes (at least 100ms)")
      ->default_val("1s")
      ->type_name("DURATION");
  w->add_option("--for", watch->run_for, "Stop after this long (default: until Ctrl-C)")
      ->type_name("DURATION");
  w->add_option("--limit", watch->limit, "At most this many active operations, 1-1000")
      ->default_val(50)
      ->type_name("N");
  w->add_flag("--once", watch->once, "Print one frame and exit");
  w->add_flag("--json", watch->json,
              "One JSON document per changed frame: {\"at\":...,\"counts\":{...},\"active\":[...],"
              "\"recent\":[...]}");
  w->callback([&ctx, watch] { ctx.action = [&ctx, watch] { return run_watch(ctx, *watch); }; });
}

}  // namespace incursa::platform::opsctl
