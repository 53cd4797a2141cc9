// POST /v1/operations and the per-operation writes (docs/opsd.md, "Writes").
// Authentication happened before routing (server.cpp): only read-write tokens
// get here.
#include <optional>

#include "incursa/platform/correlation/correlation_scope.hpp"
#include "incursa/platform/operations/operation_status.hpp"
#include "json_mapping.hpp"
#include "request_body.hpp"
#include "routes.hpp"

namespace incursa::platform::opsd {

using nlohmann::json;

namespace {

// Runs a write with the caller's correlation as the ambient scope, so audit
// events about existing operations (cancel requests, say) carry it too.
template <class F>
void with_correlation(ApiContext& ctx, const httplib::Request& req, httplib::Response& res, F f) {
  std::optional<CorrelationContext> correlation = correlation_from(req, ctx.clock);
  if (correlation) {
    res.set_header("X-Correlation-Id", correlation->correlation_id.value());
    CorrelationScope scope(*correlation);
    f(correlation);
  } else {
    f(correlation);
  }
}

void start(ApiContext& ctx, const httplib::Request& req, const std::string& text,
           httplib::Response& res) {
  const RequestBody body(req, text, {"name", "id", "parent_id", "tags"}, false);
  StartOptions options;
  if (auto id = body.string("id")) options.id = OperationId::parse(*id);
  if (auto parent = body.string("parent_id")) options.parent_id = OperationId::parse(*parent);
  if (auto tags = body.tags("tags")) options.tags = std::move(*tags);
  const std::string name = body.required_string("name");
  with_correlation(ctx, req, res, [&](const std::optional<CorrelationContext>& correlation) {
    options.correlation = correlation;
    // The status code tells a retrying caller whether it created the operation.
    // Two callers racing to create one id may both hear 201; the operation is one.
    const bool existed = options.id && ctx.tracker.get_snapshot(*options.id).has_value();
    const OperationSnapshot op = ctx.tracker.start(name, options);
    res.set_header("Location", "/v1/operations/" + op.id.value());
    send_json(res, existed ? 200 : 201, {{"operation", operation_json(op)}});
  });
}

void progress(ApiContext& ctx, const httplib::Request& req, const std::string& text,
              httplib::Response& res) {
  const OperationId id = path_id(req);
  const RequestBody body(req, text, {"percent", "message", "progress"}, true);
  ProgressUpdate update;
  update.percent = body.number("percent");
  update.message = body.string("message");
  update.progress = body.progress("progress");
  with_correlation(ctx, req, res, [&](const auto&) {
    const OperationSnapshot op = ctx.tracker.update_progress(id, update);
    send_json(res, 200, {{"operation", operation_json(op)}});
  });
}

void heartbeat(ApiContext& ctx, const httplib::Request& req, const std::string& text,
               httplib::Response& res) {
  const OperationId id = path_id(req);
  const RequestBody body(req, text, {}, true);
  with_correlation(ctx, req, res, [&](const auto&) {
    const OperationSnapshot op = ctx.tracker.heartbeat(id);
    send_json(res, 200, {{"operation", operation_json(op)}});
  });
}

void add_event(ApiContext& ctx, const httplib::Request& req, const std::string& text,
               httplib::Response& res) {
  const OperationId id = path_id(req);
  const RequestBody body(req, text, {"kind", "message", "data", "data_json"}, false);
  if (body.has("data") && body.has("data_json")) {
    throw ApiError(400, "invalid_argument", "data_json: give data or data_json, not both",
                   "data_json");
  }
  const std::string kind = body.required_string("kind");
  const std::optional<std::string> message = body.string("message");
  // `data` is any JSON value; `data_json` is the same as a string, kept byte for byte.
  const std::optional<std::string> data =
      body.has("data") ? body.raw("data") : body.string("data_json");
  with_correlation(ctx, req, res, [&](const auto&) {
    const auto opt = [](const std::optional<std::string>& s) {
      return s ? std::optional<std::string_view>(*s) : std::nullopt;
    };
    const OperationEvent event = ctx.tracker.add_event(id, kind, opt(message), opt(data));
    send_json(res, 201, {{"event", event_json(event)}});
  });
}

void complete(ApiContext& ctx, const httplib::Request& req, const std::string& text,
              httplib::Response& res) {
  const OperationId id = path_id(req);
  const RequestBody body(req, text, {"status", "message"}, false);
  const OperationStatus status = parse_operation_status(body.required_string("status"), "status");
  const std::optional<std::string> message = body.string("message");
  with_correlation(ctx, req, res, [&](const auto&) {
    const OperationSnapshot op = ctx.tracker.complete(
        id, status, message ? std::optional<std::string_view>(*message) : std::nullopt);
    send_json(res, 200, {{"operation", operation_json(op)}});
  });
}

void cancel(ApiContext& ctx, const httplib::Request& req, const std::string& text,
            httplib::Response& res) {
  const OperationId id = path_id(req);
  const RequestBody body(req, text, {"reason"}, true);
  const std::optional<std::string> reason = body.string("reason");
  with_correlation(ctx, req, res, [&](const auto&) {
    const OperationSnapshot op = ctx.tracker.request_cancel(
        id, reason ? std::optional<std::string_view>(*reason) : std::nullopt);
    send_json(res, 200, {{"operation", operation_json(op)}});
  });
}

}  // namespace

std::vector<ApiRoute> operation_write_routes() {
  return {
      {"POST", "/v1/operations", start},
      {"POST", R"(/v1/operations/([^/]+)/progress)", progress},
      {"POST", R"(/v1/operations/([^/]+)/heartbeat)", heartbeat},
      {"POST", R"(/v1/operations/([^/]+)/events)", add_event},
      {"POST", R"(/v1/operations/([^/]+)/complete)", complete},
      {"POST", R"(/v1/operations/([^/]+)/cancel)", cancel},
  };
}

}  // namespace incursa::platform::opsd
