// opsd's request handling below HTTP framing: the path (decoded and matched as the
// routes do), query parameters (tools/opsd/query_params.*), correlation and
// traceparent headers (routes_common.cpp) and JSON bodies (request_body.*),
// driven through the same calls the route handlers make, against a Tracker on a
// memory store, and the response rendered (json_mapping.*, api_error.*).
//
// Input:
//   line 1      METHOD /path?query      (percent-decoded as cpp-httplib does)
//   then        Name: value             header lines, up to an empty line
//   the rest    the body
//
// Properties: whatever the request, the error path maps it onto a documented
// client error -- 400, 404, 409, 413 or 415 -- never a 500 (an exception type the
// API does not expect) or a 503; a 400 names the field or parameter at fault;
// every response body renders as JSON; a successful write returns what the
// store then holds.
#include <httplib.h>

#include <cstdint>
#include <regex>

#include "api_error.hpp"
#include "fuzz_check.hpp"
#include "incursa/platform/correlation/correlation_scope.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"
#include "incursa/platform/operations/operation_status.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/stores/memory_store.hpp"
#include "json_mapping.hpp"
#include "query_params.hpp"
#include "request_body.hpp"
#include "routes.hpp"

namespace {

using namespace incursa::platform;
using namespace incursa::platform::opsd;
using nlohmann::json;

constexpr std::size_t kMaxPageSize = 1000;

const std::regex& re(const char* pattern) {
  // One compiled regex per pattern (the routes' own patterns).
  static std::map<std::string, std::regex> cache;
  auto it = cache.find(pattern);
  if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern)).first;
  return it->second;
}

bool route(const httplib::Request& req, const char* method, const char* pattern,
           httplib::Request& matched) {
  if (req.method != method) return false;
  matched = req;
  return std::regex_match(matched.path, matched.matches, re(pattern));
}

void with_correlation(const httplib::Request& req, const Clock& clock,
                      const std::function<void(const std::optional<CorrelationContext>&)>& f) {
  const std::optional<CorrelationContext> correlation = correlation_from(req, clock);
  if (correlation) {
    FUZZ_CHECK(!correlation->correlation_id.empty());
    CorrelationScope scope(*correlation);
    f(correlation);
  } else {
    f(correlation);
  }
}

// Mirrors the handlers in routes_read.cpp / routes_write.cpp / routes_wait.cpp.
void handle(Tracker& tracker, const Clock& clock, const httplib::Request& req,
            const std::string& body_text, httplib::Response& res) {
  httplib::Request m;
  if (route(req, "GET", "/v1/operations", m)) {
    check_params(m, {"order", "limit", "page_size", "page_token"}, true);
    const OperationQuery query = list_query_from(m, kMaxPageSize);
    FUZZ_CHECK(query.limit >= 1 && query.limit <= kMaxPageSize);
    const OperationPage page = tracker.list(query);
    for (const auto& op : page.operations) FUZZ_CHECK(matches(query.filter, op));
    send_json(res, 200, page_json(page));
  } else if (route(req, "GET", "/v1/counts", m)) {
    check_params(m, {}, true);
    send_json(res, 200, counts_json(tracker.count_by_status(filter_from(m))));
  } else if (route(req, "GET", R"(/v1/operations/([^/]+):wait)", m)) {
    check_params(m, {"timeout"});
    const auto timeout = duration_param(m, "timeout", std::chrono::seconds(30));
    FUZZ_CHECK(timeout >= std::chrono::milliseconds(0));
    const auto op = tracker.get_snapshot(path_id(m));
    if (!op) throw ApiError(404, "not_found", "not found", "operation_id");
    send_json(res, 200, {{"operation", operation_json(*op)}});
  } else if (route(req, "GET", R"(/v1/operations/([^/]+))", m)) {
    check_params(m, {});
    const auto op = tracker.get_snapshot(path_id(m));
    if (!op) throw ApiError(404, "not_found", "not found", "operation_id");
    send_json(res, 200, {{"operation", operation_json(*op)}});
  } else if (route(req, "GET", R"(/v1/operations/([^/]+)/events)", m)) {
    check_params(m, {"after", "limit"});
    const OperationId id = path_id(m);
    const std::int64_t after = int_param(m, "after", 0, 0, INT64_MAX);
    const auto limit = static_cast<std::size_t>(
        int_param(m, "limit", 1000, 1, static_cast<std::int64_t>(limits::kMaxEventPageSize)));
    json list = json::array();
    for (const OperationEvent& e : tracker.events(id, after, limit)) {
      FUZZ_CHECK(e.sequence > after);
      list.push_back(event_json(e));
    }
    send_json(res, 200, {{"events", list}});
  } else if (route(req, "GET", R"(/v1/operations/([^/]+)/children)", m)) {
    check_params(m, {"limit", "page_size", "page_token"});
    const OperationId id = path_id(m);
    const char* limit_name = m.has_param("page_size") ? "page_size" : "limit";
    const auto limit = static_cast<std::size_t>(
        int_param(m, limit_name, 100, 1, static_cast<std::int64_t>(kMaxPageSize)));
    send_json(res, 200, page_json(tracker.children(id, limit, single_param(m, "page_token"))));
  } else if (route(req, "GET", R"(/v1/operations/([^/]+)/timeline)", m)) {
    check_params(m, {});
    send_json(res, 200, timeline_json(tracker.timeline(path_id(m))));
  } else if (route(req, "POST", "/v1/operations", m)) {
    const RequestBody body(m, body_text, {"name", "id", "parent_id", "tags"}, false);
    StartOptions options;
    if (auto id = body.string("id")) options.id = OperationId::parse(*id);
    if (auto parent = body.string("parent_id")) options.parent_id = OperationId::parse(*parent);
    if (auto tags = body.tags("tags")) options.tags = std::move(*tags);
    const std::string name = body.required_string("name");
    with_correlation(m, clock, [&](const std::optional<CorrelationContext>& correlation) {
      options.correlation = correlation;
      const OperationSnapshot op = tracker.start(name, options);
      FUZZ_CHECK(op.name == name);
      FUZZ_CHECK(tracker.get_snapshot(op.id) == op);
      send_json(res, 201, {{"operation", operation_json(op)}});
    });
  } else if (route(req, "POST", R"(/v1/operations/([^/]+)/progress)", m)) {
    const OperationId id = path_id(m);
    const RequestBody body(m, body_text, {"percent", "message", "progress"}, true);
    ProgressUpdate update;
    update.percent = body.number("percent");
    update.message = body.string("message");
    update.progress = body.progress("progress");
    with_correlation(m, clock, [&](const auto&) {
      const OperationSnapshot op = tracker.update_progress(id, update);
      FUZZ_CHECK(tracker.get_snapshot(id) == op);
      send_json(res, 200, {{"operation", operation_json(op)}});
    });
  } else if (route(req, "POST", R"(/v1/operations/([^/]+)/heartbeat)", m)) {
    const OperationId id = path_id(m);
    const RequestBody body(m, body_text, {}, true);
    with_correlation(m, clock, [&](const auto&) {
      send_json(res, 200, {{"operation", operation_json(tracker.heartbeat(id))}});
    });
  } else if (route(req, "POST", R"(/v1/operations/([^/]+)/events)", m)) {
    const OperationId id = path_id(m);
    const RequestBody body(m, body_text, {"kind", "message", "data", "data_json"}, false);
    if (body.has("data") && body.has("data_json")) {
      throw ApiError(400, "invalid_argument", "data_json: give data or data_json, not both",
                     "data_json");
    }
    const std::string kind = body.required_string("kind");
    const std::optional<std::string> message = body.string("message");
    const std::optional<std::string> data =
        body.has("data") ? body.raw("data") : body.string("data_json");
    with_correlation(m, clock, [&](const auto&) {
      const auto opt = [](const std::optional<std::string>& s) {
        return s ? std::optional<std::string_view>(*s) : std::nullopt;
      };
      const OperationEvent event = tracker.add_event(id, kind, opt(message), opt(data));
      const auto stored = tracker.events(id, event.sequence - 1, 1);
      FUZZ_CHECK(stored.size() == 1 && stored.front() == event);
      send_json(res, 201, {{"event", event_json(event)}});
    });
  } else if (route(req, "POST", R"(/v1/operations/([^/]+)/complete)", m)) {
    const OperationId id = path_id(m);
    const RequestBody body(m, body_text, {"status", "message"}, false);
    const OperationStatus status = parse_operation_status(body.required_string("status"), "status");
    const std::optional<std::string> message = body.string("message");
    with_correlation(m, clock, [&](const auto&) {
      const OperationSnapshot op = tracker.complete(
          id, status, message ? std::optional<std::string_view>(*message) : std::nullopt);
      FUZZ_CHECK(op.terminal() && op.status == status);
      send_json(res, 200, {{"operation", operation_json(op)}});
    });
  } else if (route(req, "POST", R"(/v1/operations/([^/]+)/cancel)", m)) {
    const OperationId id = path_id(m);
    const RequestBody body(m, body_text, {"reason"}, true);
    const std::optional<std::string> reason = body.string("reason");
    with_correlation(m, clock, [&](const auto&) {
      const OperationSnapshot op = tracker.request_cancel(
          id, reason ? std::optional<std::string_view>(*reason) : std::nullopt);
      send_json(res, 200, {{"operation", operation_json(op)}});
    });
  } else {
    throw ApiError(404, "not_found", "no such route");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  incursa::fuzz::Reader in(incursa::fuzz::as_text(data, size));
  if (size > 1024 * 1024 + 4096) return 0;  // opsd's default body limit is 1 MiB

  httplib::Request req;
  const std::string_view request_line = in.field('\n');
  const std::size_t space = request_line.find(' ');
  if (space == std::string_view::npos) return 0;
  req.method = std::string(request_line.substr(0, space));
  const std::string target(request_line.substr(space + 1));
  const std::size_t question = target.find('?');
  req.path = httplib::detail::decode_url(target.substr(0, question), false);
  if (question != std::string::npos) {
    httplib::detail::parse_query_text(target.substr(question + 1), req.params);
  }
  while (!in.empty()) {
    std::string_view line = in.field('\n');
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    req.headers.emplace(std::string(line.substr(0, colon)), std::string(value));
  }
  const std::string body(in.rest());

  // A fresh store with a parent and a child for every input, so runs stay independent.
  ManualClock clock(Timestamp(std::chrono::seconds(1'767'225'600)));
  Tracker tracker(make_memory_store(), TrackerOptions{.clock = std::shared_ptr<const Clock>(
                                                          &clock, [](const Clock*) {})});
  StartOptions parent_options;
  parent_options.id = OperationId::parse("op-1");
  tracker.start("Webhook.Process", parent_options);
  StartOptions child_options;
  child_options.id = OperationId::parse("op-2");
  child_options.parent_id = OperationId::parse("op-1");
  tracker.start("Webhook.Child", child_options);
  tracker.add_event(OperationId::parse("op-1"), "received", "hello", R"({"n":1})");

  httplib::Response res;
  try {
    handle(tracker, clock, req, body, res);
  } catch (...) {
    std::string logged;
    send_exception(res, std::current_exception(), [&](const std::string& line) { logged = line; });
    if (res.status == 500 || res.status == 503) {
      std::fprintf(stderr, "unexpected %d: %s\n", res.status, logged.c_str());
    }
    FUZZ_CHECK(res.status == 400 || res.status == 404 || res.status == 409 || res.status == 413 ||
               res.status == 415);
    const json error = json::parse(res.body);
    FUZZ_CHECK(error.contains("error") && error["error"].contains("code"));
    if (res.status == 400 && error["error"]["code"] == "invalid_argument") {
      FUZZ_CHECK(error["error"]["field"].is_string());
    }
    return 0;
  }
  FUZZ_CHECK(res.status == 200 || res.status == 201);
  FUZZ_CHECK(json::accept(res.body));
  return 0;
}
