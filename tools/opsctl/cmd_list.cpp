// list and count: "what is running?"
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "filters.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"
#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/tools/text_table.hpp"
#include "render.hpp"

namespace incursa::platform::opsctl {

namespace {

using nlohmann::ordered_json;
using platform::OperationStatus;

struct ListOptions {
  FilterOptions filters;
  std::int64_t limit = 50;  // signed: "-5" must read as -5, not as a huge count
  std::string page_token;
  bool all = false;
  bool oldest_first = false;
  bool json = false;
};

// Every page, printed as it is read: memory holds one page however many match.
// The JSON is the same document the one-page form prints, written in pieces.
int list_all(Context& ctx, platform::Tracker& tracker, platform::OperationQuery query,
             Timestamp now, bool json) {
  std::size_t printed = 0;
  std::vector<std::size_t> widths;
  if (json) ctx.print("{\"operations\":[");
  for (;;) {
    const platform::OperationPage page = tracker.list(query);
    std::string chunk;
    if (json) {
      for (const platform::OperationSnapshot& op : page.operations) {
        // snapshot_json(op).dump(), without the round trip through a document.
        chunk += (printed++ == 0 ? "" : ",") + platform::to_json(op);
      }
    } else if (!page.operations.empty()) {
      chunk = render_operations_page(page.operations, now, ctx.style(), widths, printed == 0);
      printed += page.operations.size();
    }
    ctx.print(chunk);
    std::fflush(stdout);
    if (!page.next_page_token) break;
    query.page_token = page.next_page_token;
  }
  if (json) {
    ctx.print("],\"next_page_token\":null}\n");
  } else if (printed == 0) {
    ctx.print("no operations match\n");
  }
  return kOk;
}

int run_list(Context& ctx, const ListOptions& o) {
  if (o.limit < 1 || o.limit > 1000) {
    throw platform::ValidationError("--limit " + std::to_string(o.limit), "must be from 1 to 1000");
  }
  const Timestamp now = ctx.now();
  platform::OperationQuery query;
  query.filter = o.filters.build(now);
  query.order =
      o.oldest_first ? platform::ListOrder::OldestFirst : platform::ListOrder::NewestFirst;
  query.limit = o.all ? 1000 : static_cast<std::size_t>(o.limit);
  if (!o.page_token.empty()) query.page_token = o.page_token;
  platform::Tracker tracker = ctx.tracker(ctx.open(tools::OpenMode::MustExist));
  if (o.all) return list_all(ctx, tracker, query, now, o.json);

  const platform::OperationPage page = tracker.list(query);
  const std::vector<platform::OperationSnapshot>& ops = page.operations;
  const std::optional<std::string>& next = page.next_page_token;
  if (o.json) {
    ctx.print_json({{"operations", snapshots_json(ops)},
                    {"next_page_token", next ? ordered_json(*next) : ordered_json(nullptr)}});
    return kOk;
  }
  if (ops.empty()) {
    ctx.print("no operations match\n");
    return kOk;
  }
  ctx.print(render_operations(ops, now, ctx.style()));
  if (next) ctx.print("more: run again with --page-token " + *next + " (or use --all)\n");
  return kOk;
}

struct CountOptions {
  FilterOptions filters;
  std::int64_t at_most = platform::limits::kDefaultCountLimit;
  bool exact = false;
  bool json = false;
};

int run_count(Context& ctx, const CountOptions& o) {
  const platform::OperationFilter filter = o.filters.build(ctx.now());
  platform::Tracker tracker = ctx.tracker(ctx.open(tools::OpenMode::MustExist));
  // Bounded unless --exact: at millions of operations an exact count reads
  // every match, a bounded one at most --at-most index entries per status.
  const std::optional<std::int64_t> at_most =
      o.exact ? std::nullopt : std::optional<std::int64_t>(o.at_most);
  const platform::StatusCounts counts = tracker.count_by_status(filter, at_most);
  std::int64_t total = 0;
  bool total_more = false;
  ordered_json by_status = ordered_json::object();
  ordered_json more = ordered_json::array();
  tools::Table table({{"STATUS"}, {"COUNT", tools::Table::Align::Right}});
  for (int i = 0; i < platform::kOperationStatusCount; ++i) {
    const auto status = static_cast<OperationStatus>(i);
    const auto it = counts.find(status);
    std::int64_t n = it == counts.end() ? 0 : it->second;
    const bool cut = at_most && n > *at_most;
    if (cut) {
      n = *at_most;
      more.push_back(std::string(platform::to_string(status)));
    }
    total += n;
    total_more = total_more || cut;
    by_status[std::string(platform::to_string(status))] = n;
    table.add_row({tools::Cell(std::string(platform::to_string(status)),
                               n > 0 ? tools::status_color(status) : tools::Color::None),
                   std::to_string(n) + (cut ? "+" : "")});
  }
  if (o.json) {
    ordered_json j = {{"counts", by_status}, {"total", total}};
    if (at_most) {
      j["at_most"] = *at_most;
      j["more"] = more;
    }
    ctx.print_json(j);
    return kOk;
  }
  table.add_row(
      {tools::Cell("Total", tools::Color::Bold), std::to_string(total) + (total_more ? "+" : "")});
  ctx.print(table.render(ctx.style()));
  return kOk;
}

}  // namespace

void add_list_commands(CLI::App& app, Context& ctx) {
  auto list = std::make_shared<ListOptions>();
  CLI::App* l =
      add_subcommand(app, "list", "List operations, newest first, with filters and paging");
  list->filters.add_to(*l);
  l->add_option("--limit", list->limit, "Rows per page, 1-1000")
      ->default_val(50)
      ->type_name("N")
      ->group("Paging");
  l->add_option("--page-token", list->page_token, "Continue after the page that printed this token")
      ->type_name("TOKEN")
      ->group("Paging");
  l->add_flag("--all", list->all, "Every page, not just the first")->group("Paging");
  l->add_flag("--oldest-first", list->oldest_first, "Oldest first instead of newest first")
      ->group("Paging");
  l->add_flag("--json", list->json,
              "Print {\"operations\":[...],\"next_page_token\":...} instead of a table");
  l->callback([&ctx, list] { ctx.action = [&ctx, list] { return run_list(ctx, *list); }; });

  auto count = std::make_shared<CountOptions>();
  CLI::App* c = add_subcommand(app, "count", "Count operations per status, with the list filters");
  count->filters.add_to(*c);
  c->add_option("--at-most", count->at_most,
                "Count each status up to N; more shows as N+ (default 10000: fast at any size)")
      ->type_name("N")
      ->check(CLI::Range(std::int64_t{1}, platform::limits::kMaxCountLimit));
  c->add_flag("--exact", count->exact, "Count every match exactly (reads them all)")
      ->excludes("--at-most");
  c->add_flag("--json", count->json,
              "Print {\"counts\":{...},\"total\":N,\"at_most\":N,\"more\":[statuses]} "
              "instead of a table");
  c->callback([&ctx, count] { ctx.action = [&ctx, count] { return run_count(ctx, *count); }; });
}

}  // namespace incursa::platform::opsctl
