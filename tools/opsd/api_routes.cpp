// The operations API's route table, registered on the server and dispatched
// directly for the request fuzzer: one set of handlers for both.
#include <string>

#include "routes.hpp"

namespace incursa::platform::opsd {

namespace {

std::vector<ApiRoute> operation_routes() {
  std::vector<ApiRoute> routes = operation_read_routes();
  for (const ApiRoute& route : operation_write_routes()) routes.push_back(route);
  return routes;
}

}  // namespace

void register_operation_routes(httplib::Server& server, ApiContext& ctx) {
  for (const ApiRoute& route : operation_routes()) {
    const auto handler = route.handler;
    if (std::string_view(route.method) == "GET") {
      server.Get(route.pattern,
                 guarded(ctx, [&ctx, handler](const httplib::Request& req, httplib::Response& res) {
                   handler(ctx, req, std::string(), res);
                 }));
    } else {
      server.Post(route.pattern,
                  guarded_post(ctx, [&ctx, handler](
                                        const httplib::Request& req, const std::string& body,
                                        httplib::Response& res) { handler(ctx, req, body, res); }));
    }
  }
}

void dispatch(ApiContext& ctx, httplib::Request req, const std::string& body,
              httplib::Response& res) {
  try {
    for (const ApiRoute& route : operation_routes()) {
      if (req.method != route.method) continue;
      if (!std::regex_match(req.path, req.matches, std::regex(route.pattern))) continue;
      route.handler(ctx, req, body, res);
      return;
    }
    throw ApiError(404, "not_found", "no such resource");
  } catch (...) {
    send_exception(res, std::current_exception(), ctx.log);
  }
}

}  // namespace incursa::platform::opsd
