// show, events, timeline, children: "what happened to X?"
#include <memory>

#include "context.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"
#include "incursa/platform/operations/operation_json.hpp"
#include "render.hpp"

namespace incursa::platform::opsctl {

namespace {

using nlohmann::ordered_json;

struct IdOptions {
  std::string id;
  bool json = false;
};

// "Not found", saying so when retention purged the operation and kept its events.
[[noreturn]] void not_found(platform::Tracker& tracker, const platform::OperationId& id) {
  std::string message = "operation " + id.value() + " not found";
  if (const auto purged = platform::find_purged(*tracker.store(), id)) {
    message +=
        ": " + purged_text(*purged) + "; its events are kept (opsctl events " + id.value() + ")";
  }
  throw platform::NotFoundError(message);
}

platform::OperationSnapshot require(platform::Tracker& tracker, const platform::OperationId& id) {
  auto snapshot = tracker.get_snapshot(id);
  if (!snapshot) not_found(tracker, id);
  return *snapshot;
}

int run_show(Context& ctx, const IdOptions& o) {
  const platform::OperationId id = parse_id(o.id);
  platform::Tracker tracker = ctx.tracker(ctx.open(tools::OpenMode::MustExist));
  const platform::OperationSnapshot s = require(tracker, id);
  if (o.json) {
    ctx.print_json(snapshot_json(s));
  } else {
    ctx.print(render_show(s, ctx.now(), ctx.style()));
  }
  return kOk;
}

struct EventsOptions {
  std::string id;
  std::int64_t after = 0;
  std::int64_t limit = 0;  // 0: every event; signed so "-5" reads as -5
  bool json = false;
};

int run_events(Context& ctx, const EventsOptions& o) {
  const platform::OperationId id = parse_id(o.id);
  if (o.limit < 0) {
    throw platform::ValidationError("--limit " + std::to_string(o.limit), "must not be negative");
  }
  const auto limit = static_cast<std::size_t>(o.limit);
  if (o.after < 0) {
    throw platform::ValidationError("--after " + std::to_string(o.after), "must not be negative");
  }
  platform::Tracker tracker = ctx.tracker(ctx.open(tools::OpenMode::MustExist));
  // A purged operation's events are kept as evidence: they can still be read.
  const std::optional<platform::OperationSnapshot> s = tracker.get_snapshot(id);
  const std::optional<platform::PurgedOperation> purged =
      s ? std::nullopt : platform::find_purged(*tracker.store(), id);
  if (!s && !purged) not_found(tracker, id);
  std::vector<platform::OperationEvent> events;
  std::int64_t after = o.after;
  // Pages of the store's maximum until the limit (0: every event) is reached.
  for (;;) {
    const std::size_t want =
        limit == 0 ? platform::limits::kMaxEventPageSize
                   : std::min(limit - events.size(), platform::limits::kMaxEventPageSize);
    if (want == 0) break;
    const auto page = tracker.events(id, after, want);
    events.insert(events.end(), page.begin(), page.end());
    if (page.size() < want) break;
    after = page.back().sequence;
  }
  if (o.json) {
    ordered_json list = ordered_json::array();
    for (const auto& e : events) list.push_back(event_json(e));
    ordered_json doc = {{"operation_id", id.value()}, {"events", std::move(list)}};
    if (purged) doc["purged"] = ordered_json::parse(platform::to_json(*purged));
    ctx.print_json(doc);
    return kOk;
  }
  if (purged) ctx.print("operation " + id.value() + " " + purged_text(*purged) + "\n");
  if (events.empty()) {
    ctx.print("no events\n");
  } else {
    const Timestamp base = s ? s->started_at : events.front().occurred_at;
    ctx.print(render_events(base, events, ctx.style()));
  }
  return kOk;
}

int run_timeline(Context& ctx, const IdOptions& o) {
  const platform::OperationId id = parse_id(o.id);
  platform::Tracker tracker = ctx.tracker(ctx.open(tools::OpenMode::MustExist));
  const platform::Timeline timeline = tracker.timeline(id);
  if (o.json) {
    ctx.print_json(timeline_json(timeline));
  } else {
    ctx.print(render_timeline(timeline, ctx.now(), ctx.style()));
  }
  return kOk;
}

int run_children(Context& ctx, const IdOptions& o) {
  const platform::OperationId id = parse_id(o.id);
  platform::Tracker tracker = ctx.tracker(ctx.open(tools::OpenMode::MustExist));
  std::vector<platform::OperationSnapshot> children;
  std::optional<std::string> token;
  do {
    platform::OperationPage page = tracker.children(id, 1000, token);
    children.insert(children.end(), page.operations.begin(), page.operations.end());
    token = page.next_page_token;
  } while (token);
  // A parent may have been purged while its children stay: only "nothing at all" is not found.
  if (children.empty() && !tracker.get_snapshot(id)) {
    throw platform::NotFoundError("operation " + id.value() + " not found");
  }
  if (o.json) {
    ctx.print_json({{"parent_id", id.value()}, {"operations", snapshots_json(children)}});
  } else if (children.empty()) {
    ctx.print("no children\n");
  } else {
    ctx.print(render_operations(children, ctx.now(), ctx.style()));
  }
  return kOk;
}

CLI::App* id_command(CLI::App& app, const std::string& name, const std::string& description,
                     IdOptions& o, const std::string& json_help) {
  CLI::App* c = add_subcommand(app, name, description);
  c->add_option("ID", o.id, "The operation's id")->required();
  c->add_flag("--json", o.json, json_help);
  return c;
}

}  // namespace

void add_inspect_commands(CLI::App& app, Context& ctx) {
  auto show = std::make_shared<IdOptions>();
  id_command(app, "show", "Show every field of one operation", *show,
             "Print the snapshot as JSON (snake_case fields) instead of a list")
      ->callback([&ctx, show] { ctx.action = [&ctx, show] { return run_show(ctx, *show); }; });

  auto events = std::make_shared<EventsOptions>();
  CLI::App* e = add_subcommand(app, "events", "List one operation's events in sequence order");
  e->add_option("ID", events->id, "The operation's id")->required();
  e->add_option("--after", events->after, "Only events after this sequence number")
      ->type_name("SEQ");
  e->add_option("--limit", events->limit, "At most this many events (default: all)")
      ->type_name("N");
  e->add_flag("--json", events->json,
              "Print {\"operation_id\":...,\"events\":[...]} instead of a table");
  e->callback([&ctx, events] { ctx.action = [&ctx, events] { return run_events(ctx, *events); }; });

  auto timeline = std::make_shared<IdOptions>();
  id_command(app, "timeline",
             "Show what happened to one operation: its events, children and audit events in "
             "time order",
             *timeline, "Print {\"operation\":...,\"entries\":[...]} instead of a table")
      ->callback([&ctx, timeline] {
        ctx.action = [&ctx, timeline] { return run_timeline(ctx, *timeline); };
      });

  auto children = std::make_shared<IdOptions>();
  id_command(app, "children", "List the direct children of one operation, oldest first", *children,
             "Print {\"parent_id\":...,\"operations\":[...]} instead of a table")
      ->callback([&ctx, children] {
        ctx.action = [&ctx, children] { return run_children(ctx, *children); };
      });
}

}  // namespace incursa::platform::opsctl
