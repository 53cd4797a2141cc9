// purge: keep the store small (contract §8).
#include <memory>

#include "context.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/retention.hpp"
#include "incursa/tools/durations.hpp"

namespace incursa::platform::opsctl {

namespace {

struct PurgeOptions {
  std::string keep;
  std::string keep_events;
  std::string archive;
  bool json = false;
};

int run_purge(Context& ctx, const PurgeOptions& o) {
  platform::RetentionPolicy policy =
      platform::RetentionPolicy::keep_terminal_for(tools::parse_duration_arg(o.keep, "--keep"));
  if (!o.keep_events.empty()) {
    policy.keep_events = tools::parse_duration_arg(o.keep_events, "--keep-events");
  }
  auto store = ctx.open(tools::OpenMode::MustExist);
  std::unique_ptr<platform::FileArchiveSink> archive;
  if (!o.archive.empty()) archive = std::make_unique<platform::FileArchiveSink>(o.archive);
  const platform::PurgeResult r = platform::purge(*store, policy, *ctx.clock(), archive.get());
  if (o.json) {
    ctx.print_json({{"operations_purged", r.operations_purged},
                    {"events_purged", r.events_purged},
                    {"batches", r.batches},
                    {"complete", r.complete}});
    return kOk;
  }
  std::string text = "purged " + std::to_string(r.operations_purged) + " operation" +
                     (r.operations_purged == 1 ? "" : "s") + " finished more than " + o.keep +
                     " ago";
  if (!o.keep_events.empty()) {
    text += " and " + std::to_string(r.events_purged) + " event" +
            (r.events_purged == 1 ? "" : "s") + " older than " + o.keep_events;
  }
  if (archive && r.operations_purged > 0) text += "; archived to " + o.archive;
  if (!r.complete) text += "; more remain: run purge again";
  ctx.print(text + "\n");
  return kOk;
}

}  // namespace

void add_retention_commands(CLI::App& app, Context& ctx) {
  auto purge = std::make_shared<PurgeOptions>();
  CLI::App* p = add_subcommand(
      app, "purge",
      "Delete finished (Succeeded, Failed, Canceled) operations completed longer ago than "
      "--keep; open work is never touched");
  p->add_option("--keep", purge->keep,
                "Keep finished operations this long (required; e.g. 30d, 12h)")
      ->required()
      ->type_name("DURATION");
  p->add_option("--keep-events", purge->keep_events,
                "Also delete events older than this (events of open work are never deleted; "
                "default: keep events)")
      ->type_name("DURATION");
  p->add_option("--archive", purge->archive,
                "Append one JSON line per purged operation to this file first (fsynced before "
                "anything is deleted)")
      ->type_name("FILE");
  p->add_flag("--json", purge->json,
              "Print {\"operations_purged\":N,\"events_purged\":N,\"batches\":N,\"complete\":...}");
  p->callback([&ctx, purge] { ctx.action = [&ctx, purge] { return run_purge(ctx, *purge); }; });
}

}  // namespace incursa::platform::opsctl
