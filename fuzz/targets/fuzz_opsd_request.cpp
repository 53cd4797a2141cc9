// opsd's request handling below HTTP framing, through the real route handlers:
// the request goes to dispatch() (tools/opsd/api_routes.cpp), which matches the
// route table the server registers and calls its handler -- path ids, query
// parameters (query_params.*), correlation and traceparent headers
// (routes_common.cpp), JSON bodies (request_body.*), the tracker on a memory
// store, the response (json_mapping.*) and the error mapping (api_error.*).
//
// Input:
//   line 1      METHOD /path?query      (percent-decoded as cpp-httplib does)
//   then        Name: value             header lines, up to an empty line
//   the rest    the body
//
// Properties: whatever the request, an error is a documented client error --
// 400, 404, 409, 413 or 415 -- never a 500 (an exception type the API does not
// expect) or a 503; every response body is JSON; a 400 names the field or
// parameter at fault; a list returns only operations its filter matches; a
// successful write answers with what the store then holds.
#include <httplib.h>

#include <cstdint>

#include "api_context.hpp"
#include "fuzz_check.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/stores/memory_store.hpp"
#include "json_mapping.hpp"
#include "query_params.hpp"
#include "routes.hpp"

namespace {

using namespace incursa::platform;
using namespace incursa::platform::opsd;
using nlohmann::json;

// What a successful answer must agree with: the filter of a list, the store for
// an operation a write returned.
void check_success(Tracker& tracker, const httplib::Request& req, const httplib::Response& res) {
  FUZZ_CHECK(res.status == 200 || res.status == 201);
  const json body = json::parse(res.body);
  if (req.method == "GET" && req.path == "/v1/operations") {
    const OperationQuery query = list_query_from(req, 1000);
    for (const json& op : body["operations"]) {
      FUZZ_CHECK(matches(query.filter,
                         *tracker.get_snapshot(OperationId::parse(op["id"].get<std::string>()))));
    }
  }
  if (req.method == "POST" && body.contains("operation")) {
    const json& op = body["operation"];
    const auto stored = tracker.get_snapshot(OperationId::parse(op["id"].get<std::string>()));
    FUZZ_CHECK(stored.has_value() && operation_json(*stored) == op);
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

  ChangeFeed feed;
  OperationMetrics metrics;
  AuthPolicy auth;
  ApiContext ctx(tracker, feed, metrics, auth, ServerLimits{}, "memory", clock);
  httplib::Response res;
  dispatch(ctx, req, body, res);
  if (res.status >= 400) {
    if (res.status == 500 || res.status == 503) std::fprintf(stderr, "unexpected %d\n", res.status);
    FUZZ_CHECK(res.status == 400 || res.status == 404 || res.status == 409 || res.status == 413 ||
               res.status == 415);
    const json error = json::parse(res.body);
    FUZZ_CHECK(error.contains("error") && error["error"].contains("code"));
    if (res.status == 400 && error["error"]["code"] == "invalid_argument") {
      FUZZ_CHECK(error["error"]["field"].is_string());
    }
    return 0;
  }
  check_success(tracker, req, res);
  return 0;
}
