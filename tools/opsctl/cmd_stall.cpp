// stalled and mark-stalled: "what is stuck?"
#include <algorithm>
#include <memory>
#include <unordered_set>

#include "context.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/observability/observed_tracker.hpp"
#include "incursa/platform/observability/platform_event_emitter.hpp"
#include "incursa/platform/operations/stall_monitor.hpp"
#include "incursa/tools/stall_policy_file.hpp"
#include "incursa/tools/text_table.hpp"
#include "render.hpp"

namespace incursa::platform::opsctl {

namespace {

using nlohmann::ordered_json;
using platform::ActivityBasis;
using platform::OperationSnapshot;
using platform::OperationStatus;

struct StalledOptions {
  std::string threshold;
  std::string policy_file;
  std::int64_t limit = 1000;  // signed: "-5" must read as -5, not as a huge count
  bool mark = false;
  bool json = false;
};

// One operation found quiet, and the rule that found it.
struct Finding {
  OperationSnapshot operation;
  std::string rule;
  tools::Duration threshold;
  tools::Duration quiet;
};

std::string rule_of(const platform::StallQuery& q) {
  if (q.basis == ActivityBasis::Progress) {
    return q.statuses == platform::StatusSet{OperationStatus::Pending} ? "pending limit"
                                                                       : "no progress";
  }
  return q.name_prefix ? "no activity, " + *q.name_prefix + "*" : "no activity";
}

tools::StallPolicyFile policy_of(const StalledOptions& o) {
  if (!o.policy_file.empty()) return tools::load_stall_policy_file(o.policy_file);
  tools::StallPolicyFile p;
  p.policy.default_threshold = tools::parse_duration_arg(o.threshold, "--threshold");
  if (p.policy.default_threshold <= tools::Duration::zero()) {
    throw platform::ValidationError("--threshold '" + o.threshold + "'", "must be positive");
  }
  return p;
}

std::vector<Finding> find(platform::Tracker& tracker, const platform::StallPolicy& policy,
                          std::size_t limit, Timestamp now) {
  std::vector<Finding> found;
  std::unordered_set<std::string> seen;
  for (const platform::StallQuery& q : policy.queries(limit)) {
    for (OperationSnapshot& s : tracker.find_stalled(q)) {
      if (!seen.insert(s.id.value()).second) continue;
      const Timestamp basis =
          q.basis == ActivityBasis::Progress ? s.last_progress_at : s.updated_at;
      found.push_back({std::move(s), rule_of(q), q.threshold, now - basis});
    }
  }
  // Quiet the longest first; ties by id so the order never depends on the store.
  std::stable_sort(found.begin(), found.end(), [](const Finding& a, const Finding& b) {
    return a.quiet != b.quiet ? a.quiet > b.quiet : a.operation.id < b.operation.id;
  });
  return found;
}

std::int64_t millis(tools::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

int list_stalled(Context& ctx, platform::Tracker& tracker, const tools::StallPolicyFile& p,
                 const StalledOptions& o) {
  const Timestamp now = ctx.now();
  const std::vector<Finding> found =
      find(tracker, p.policy, static_cast<std::size_t>(o.limit), now);
  if (o.json) {
    ordered_json list = ordered_json::array();
    for (const Finding& f : found) {
      list.push_back({{"operation", snapshot_json(f.operation)},
                      {"rule", f.rule},
                      {"threshold_ms", millis(f.threshold)},
                      {"quiet_ms", millis(f.quiet)}});
    }
    ctx.print_json({{"stalled", std::move(list)}});
    return kOk;
  }
  if (found.empty()) {
    ctx.print("nothing is stalled\n");
    return kOk;
  }
  tools::Table table({{"ID"},
                      {"NAME"},
                      {"STATUS"},
                      {"QUIET FOR", tools::Table::Align::Right},
                      {"THRESHOLD", tools::Table::Align::Right},
                      {"RULE"},
                      {"MESSAGE", tools::Table::Align::Left, 50}});
  for (const Finding& f : found) {
    const OperationSnapshot& s = f.operation;
    table.add_row({s.id.value(), s.name, tools::Cell(status_text(s), tools::status_color(s.status)),
                   tools::format_duration(f.quiet), tools::format_duration(f.threshold), f.rule,
                   s.message.value_or("")});
  }
  ctx.print(table.render(ctx.style()));
  ctx.print(std::to_string(found.size()) + " quiet past their threshold; mark them with --mark\n");
  return kOk;
}

int mark_found(Context& ctx, platform::Tracker& tracker, platform::AuditLog& audit,
               const tools::StallPolicyFile& p, const StalledOptions& o) {
  platform::PlatformEventEmitter emitter(audit);
  platform::ObservedTracker observed(tracker, tracker, &emitter, nullptr);
  platform::StallMonitorOptions options;
  options.policy = p.policy;
  options.batch_limit = static_cast<std::size_t>(o.limit);
  options.fail_after_stalls = p.fail_after_stalls;
  platform::StallMonitor monitor(observed, observed, options);
  const platform::StallScanResult result = monitor.scan_once();
  if (o.json) {
    ctx.print_json(
        {{"marked", snapshots_json(result.marked)}, {"failed", snapshots_json(result.failed)}});
    return kOk;
  }
  if (result.marked.empty()) {
    ctx.print("nothing is stalled\n");
    return kOk;
  }
  ctx.print(render_operations(result.marked, ctx.now(), ctx.style()));
  ctx.print("marked " + std::to_string(result.marked.size()) + " Stalled");
  if (!result.failed.empty()) {
    ctx.print(", failed " + std::to_string(result.failed.size()) + " after " +
              std::to_string(p.fail_after_stalls) + " stalls");
  }
  ctx.print("\n");
  return kOk;
}

int run_stalled(Context& ctx, const StalledOptions& o) {
  if (o.limit < 1) {
    throw platform::ValidationError("--limit " + std::to_string(o.limit), "must be at least 1");
  }
  const tools::StallPolicyFile p = policy_of(o);
  auto store = ctx.open(tools::OpenMode::MustExist);
  platform::Tracker tracker = ctx.tracker(store);
  if (!o.mark) return list_stalled(ctx, tracker, p, o);
  platform::AuditLog audit(platform::audit_store(store),
                           platform::AuditLogOptions{.clock = ctx.clock()});
  return mark_found(ctx, tracker, audit, p, o);
}

struct MarkOptions {
  std::string id;
  bool json = false;
};

int run_mark_stalled(Context& ctx, const MarkOptions& o) {
  const platform::OperationId id = parse_id(o.id);
  auto store = ctx.open(tools::OpenMode::MustExist);
  platform::Tracker tracker = ctx.tracker(store);
  platform::AuditLog audit(platform::audit_store(store),
                           platform::AuditLogOptions{.clock = ctx.clock()});
  platform::PlatformEventEmitter emitter(audit);
  platform::ObservedTracker observed(tracker, tracker, &emitter, nullptr);
  const bool marked = observed.mark_stalled(id);
  const auto s = tracker.get_snapshot(id);
  if (!s) throw platform::NotFoundError("operation " + id.value() + " not found");
  if (o.json) {
    ctx.print_json({{"marked", marked}, {"operation", snapshot_json(*s)}});
  } else if (marked) {
    ctx.print(id.value() + " marked Stalled (stall " + std::to_string(s->stall_count) + ")\n");
  } else {
    ctx.print(id.value() + " not marked: it is already " +
              std::string(platform::to_string(s->status)) + "\n");
  }
  return kOk;
}

}  // namespace

void add_stall_commands(CLI::App& app, Context& ctx) {
  auto stalled = std::make_shared<StalledOptions>();
  CLI::App* s = add_subcommand(
      app, "stalled",
      "List Pending and Running operations that have gone quiet for longer than a threshold or "
      "a policy allows (--mark marks them Stalled)");
  auto* threshold = s->add_option("--threshold", stalled->threshold,
                                  "Quiet for longer than this, any operation (e.g. 45s, 30m, 6h)")
                        ->default_val("30m")
                        ->type_name("DURATION");
  s->add_option("--policy", stalled->policy_file,
                "A stall-policy JSON file: per-name-prefix thresholds, a pending limit, a "
                "no-progress limit (docs/opsctl.md)")
      ->type_name("FILE")
      ->excludes(threshold);
  s->add_option("--limit", stalled->limit, "At most this many per rule")
      ->default_val(1000)
      ->type_name("N");
  s->add_flag("--mark", stalled->mark,
              "Mark what is found Stalled (as the stall monitor would; with a policy's "
              "fail_after_stalls, fail operations that stalled that often)");
  s->add_flag("--json", stalled->json,
              "Print {\"stalled\":[{\"operation\":...,\"rule\":...,\"threshold_ms\":...,"
              "\"quiet_ms\":...}]} (with --mark: {\"marked\":[...],\"failed\":[...]})");
  s->callback(
      [&ctx, stalled] { ctx.action = [&ctx, stalled] { return run_stalled(ctx, *stalled); }; });

  auto mark = std::make_shared<MarkOptions>();
  CLI::App* m = add_subcommand(app, "mark-stalled",
                               "Mark one Pending or Running operation Stalled, however recent its "
                               "activity (a no-op in any other status)");
  m->add_option("ID", mark->id, "The operation's id")->required();
  m->add_flag("--json", mark->json, "Print {\"marked\":true|false,\"operation\":...}");
  m->callback([&ctx, mark] { ctx.action = [&ctx, mark] { return run_mark_stalled(ctx, *mark); }; });
}

}  // namespace incursa::platform::opsctl
