// cancel and complete: operators unsticking work. Both go through the emitter,
// so each action also leaves its audit event (operation.cancel_requested,
// operation.completed / operation.failed).
#include <memory>

#include "context.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/observability/observed_tracker.hpp"
#include "incursa/platform/observability/platform_event_emitter.hpp"
#include "render.hpp"

namespace incursa::platform::opsctl {

namespace {

using platform::OperationStatus;

struct ControlOptions {
  std::string id;
  std::string reason;
  std::string status;
  std::string message;
  bool json = false;
};

// Runs `act` with a tracker whose writes also record their audit events.
template <class F>
platform::OperationSnapshot observed(Context& ctx, F&& act) {
  auto store = ctx.open(tools::OpenMode::MustExist);
  platform::Tracker tracker = ctx.tracker(store);
  platform::AuditLog audit(platform::audit_store(store),
                           platform::AuditLogOptions{.clock = ctx.clock()});
  platform::PlatformEventEmitter emitter(audit);
  platform::ObservedTracker tracked(tracker, tracker, &emitter, nullptr);
  return act(tracked);
}

int run_cancel(Context& ctx, const ControlOptions& o) {
  const platform::OperationId id = parse_id(o.id);
  const platform::OperationSnapshot s =
      observed(ctx, [&](platform::OperationTracker& t) { return t.request_cancel(id, o.reason); });
  if (o.json) {
    ctx.print_json(snapshot_json(s));
  } else if (s.terminal()) {
    ctx.print(id.value() + " is already " + std::string(platform::to_string(s.status)) +
              "; nothing to cancel\n");
  } else {
    ctx.print("cancel requested for " + id.value() + " (" +
              std::string(platform::to_string(s.status)) +
              "): its worker sees the request at its next progress report or heartbeat and "
              "completes it as Canceled. If no worker is left, use: " +
              ctx.program + " complete " + id.value() + " --status Canceled\n");
  }
  return kOk;
}

int run_complete(Context& ctx, const ControlOptions& o) {
  const platform::OperationId id = parse_id(o.id);
  const OperationStatus status =
      platform::parse_operation_status(o.status, "--status '" + o.status + "'");
  if (!platform::is_terminal(status)) {
    throw platform::ValidationError("--status '" + o.status + "'",
                                    "must be Succeeded, Failed or Canceled");
  }
  std::optional<OperationStatus> before;
  const platform::OperationSnapshot s = observed(ctx, [&](platform::OperationTracker& t) {
    if (auto current = t.get_snapshot(id)) before = current->status;
    return t.complete(
        id, status, o.message.empty() ? std::nullopt : std::optional<std::string_view>(o.message));
  });
  if (o.json) {
    ctx.print_json(snapshot_json(s));
  } else if (before == status) {
    ctx.print(id.value() + " is already " + std::string(platform::to_string(status)) + "\n");
  } else {
    ctx.print(id.value() + ": " +
              std::string(before ? platform::to_string(*before) : std::string_view("?")) + " -> " +
              std::string(platform::to_string(s.status)) + "\n");
  }
  return kOk;
}

}  // namespace

void add_control_commands(CLI::App& app, Context& ctx) {
  auto cancel = std::make_shared<ControlOptions>();
  CLI::App* c = add_subcommand(
      app, "cancel",
      "Ask an operation's worker to stop: records the request and a cancel_requested event");
  c->add_option("ID", cancel->id, "The operation's id")->required();
  c->add_option("--reason", cancel->reason, "Why, for the record (required)")
      ->required()
      ->type_name("TEXT");
  c->add_flag("--json", cancel->json, "Print the operation's snapshot as JSON");
  c->callback([&ctx, cancel] { ctx.action = [&ctx, cancel] { return run_cancel(ctx, *cancel); }; });

  auto complete = std::make_shared<ControlOptions>();
  CLI::App* d = add_subcommand(
      app, "complete",
      "Complete an operation by hand (for work whose worker is gone): Pending, Running or "
      "Stalled -> a terminal status");
  d->add_option("ID", complete->id, "The operation's id")->required();
  d->add_option("--status", complete->status, "Succeeded, Failed or Canceled (required)")
      ->required()
      ->type_name("STATUS");
  d->add_option("--message", complete->message, "Why, for the record")->type_name("TEXT");
  d->add_flag("--json", complete->json, "Print the operation's snapshot as JSON");
  d->callback(
      [&ctx, complete] { ctx.action = [&ctx, complete] { return run_complete(ctx, *complete); }; });
}

}  // namespace incursa::platform::opsctl
