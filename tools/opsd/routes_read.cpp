// GET /v1/operations, /v1/counts and one operation's resources
// (docs/opsd.md, "Reads").
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"
#include "json_mapping.hpp"
#include "query_params.hpp"
#include "routes.hpp"

namespace incursa::platform::opsd {

using nlohmann::json;

namespace {

[[noreturn]] void not_found(const OperationId& id) {
  throw ApiError(404, "not_found", "operation " + id.value() + " not found", "operation_id");
}

void list(ApiContext& ctx, const httplib::Request& req, const std::string& /*body*/,
          httplib::Response& res) {
  check_params(req, {"order", "limit", "page_size", "page_token"}, true);
  const OperationQuery query = list_query_from(req, ctx.limits.max_page_size);
  send_json(res, 200, page_json(ctx.tracker.list(query)));
}

void counts(ApiContext& ctx, const httplib::Request& req, const std::string& /*body*/,
            httplib::Response& res) {
  check_params(req, {"at_most", "exact"}, true);
  // Bounded by default: an exact count reads every match, which at millions of
  // rows is seconds; "exact=true" asks for it anyway.
  const bool exact = bool_param(req, "exact", false);
  if (exact && req.has_param("at_most")) {
    throw ApiError(400, "invalid_argument", "give at_most or exact=true, not both", "at_most");
  }
  const std::optional<std::int64_t> at_most =
      exact ? std::nullopt
            : std::optional(
                  int_param(req, "at_most", limits::kDefaultCountLimit, 1, limits::kMaxCountLimit));
  send_json(res, 200, counts_json(ctx.tracker.count_by_status(filter_from(req), at_most), at_most));
}

void get(ApiContext& ctx, const httplib::Request& req, const std::string& /*body*/,
         httplib::Response& res) {
  check_params(req, {});
  const OperationId id = path_id(req);
  const auto op = ctx.tracker.get_snapshot(id);
  if (!op) not_found(id);
  send_json(res, 200, {{"operation", operation_json(*op)}});
}

void events(ApiContext& ctx, const httplib::Request& req, const std::string& /*body*/,
            httplib::Response& res) {
  check_params(req, {"after", "limit"});
  const OperationId id = path_id(req);
  const std::int64_t after = int_param(req, "after", 0, 0, INT64_MAX);
  const auto limit = static_cast<std::size_t>(
      int_param(req, "limit", 1000, 1, static_cast<std::int64_t>(limits::kMaxEventPageSize)));
  const std::vector<OperationEvent> found = ctx.tracker.events(id, after, limit);
  // Events outlive a purged snapshot (contract §8), so only "neither" is a 404.
  if (found.empty() && after == 0 && !ctx.tracker.get_snapshot(id)) not_found(id);
  json list = json::array();
  for (const OperationEvent& e : found) list.push_back(event_json(e));
  json body = {{"events", list}};
  if (found.size() == limit) body["next_after"] = found.back().sequence;
  send_json(res, 200, body);
}

void children(ApiContext& ctx, const httplib::Request& req, const std::string& /*body*/,
              httplib::Response& res) {
  check_params(req, {"limit", "page_size", "page_token"});
  const OperationId id = path_id(req);
  const char* limit_name = req.has_param("page_size") ? "page_size" : "limit";
  const auto limit = static_cast<std::size_t>(
      int_param(req, limit_name, 100, 1, static_cast<std::int64_t>(ctx.limits.max_page_size)));
  const OperationPage page = ctx.tracker.children(id, limit, single_param(req, "page_token"));
  // A parent may have been purged, or live in another store (docs/design.md):
  // children found are returned either way.
  if (page.operations.empty() && !ctx.tracker.get_snapshot(id)) not_found(id);
  send_json(res, 200, page_json(page));
}

void timeline(ApiContext& ctx, const httplib::Request& req, const std::string& /*body*/,
              httplib::Response& res) {
  check_params(req, {});
  send_json(res, 200, timeline_json(ctx.tracker.timeline(path_id(req))));
}

}  // namespace

std::vector<ApiRoute> operation_read_routes() {
  return {
      {"GET", "/v1/operations", list},
      {"GET", "/v1/counts", counts},
      // After :wait (register_wait, registered first), so "{id}:wait" is the wait.
      {"GET", R"(/v1/operations/([^/]+))", get},
      {"GET", R"(/v1/operations/([^/]+)/events)", events},
      {"GET", R"(/v1/operations/([^/]+)/children)", children},
      {"GET", R"(/v1/operations/([^/]+)/timeline)", timeline},
  };
}

}  // namespace incursa::platform::opsd
