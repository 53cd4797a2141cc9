// Route registration, one function per resource, and the small helpers every
// handler uses.
#pragma once

#include <httplib.h>

#include <exception>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "api_context.hpp"
#include "api_error.hpp"
#include "incursa/platform/correlation/correlation_context.hpp"
#include "incursa/platform/id.hpp"

namespace incursa::platform::opsd {

// A request/response route of the operations API: the table the server
// registers (register_operation_routes) and the request fuzzer drives
// (dispatch), so both run the same handlers.
struct ApiRoute {
  const char* method;   // "GET" or "POST"
  const char* pattern;  // cpp-httplib's regex; the first group is the operation id
  void (*handler)(ApiContext& ctx, const httplib::Request& req, const std::string& body,
                  httplib::Response& res);
};
std::vector<ApiRoute> operation_read_routes();   // GET /v1/operations…, /v1/counts
std::vector<ApiRoute> operation_write_routes();  // POST /v1/operations…

// Registers every read and write route on `server` (POST bodies read under the
// size limit, errors in the API's shape).
void register_operation_routes(httplib::Server& server, ApiContext& ctx);
// Answers `req` as the server would once it got past authentication: the first
// route whose method and pattern match, or a 404; every error as a JSON error.
void dispatch(ApiContext& ctx, httplib::Request req, const std::string& body,
              httplib::Response& res);

void register_wait(httplib::Server& server, ApiContext& ctx);       // GET …/{id}:wait
void register_stream(httplib::Server& server, ApiContext& ctx);     // GET /v1/stream
void register_system(httplib::Server& server, ApiContext& ctx);     // /healthz /metrics /v1/session
void register_dashboard(httplib::Server& server, ApiContext& ctx);  // / and /static/*

// Wraps a handler so that any exception becomes the documented error response.
template <class F>
httplib::Server::Handler guarded(ApiContext& ctx, F handler) {
  return [&ctx, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(req, res);
    } catch (...) {
      send_exception(res, std::current_exception(), ctx.log);
    }
  };
}

// Wraps a POST handler that takes the request body as a string. The body is read
// here, through cpp-httplib's content reader, rather than by cpp-httplib itself:
// cpp-httplib 0.11 would wait for the read timeout on a POST that carries no
// Content-Length (HTTP/1.1 says such a request has no body), and this way the
// size limit is enforced while reading.
template <class F>
httplib::Server::HandlerWithContentReader guarded_post(ApiContext& ctx, F handler) {
  return [&ctx, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
    try {
      std::string body;
      if (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") {
        bool too_large = false;
        const bool ok = reader([&](const char* data, std::size_t size) {
          if (body.size() + size > ctx.limits.max_body_bytes) {
            too_large = true;
            return false;
          }
          body.append(data, size);
          return true;
        });
        if (too_large) throw ApiError(413, "payload_too_large", "the body is over the limit");
        if (!ok) throw ApiError(400, "malformed_body", "the body could not be read");
      }
      handler(req, body, res);
    } catch (...) {
      send_exception(res, std::current_exception(), ctx.log);
    }
  };
}

// The operation id captured by the route's first group (400 if it is not a valid id).
OperationId path_id(const httplib::Request& req);

// The caller's correlation from X-Correlation-Id (and the other X-Correlation-*
// headers) and W3C traceparent. With only a traceparent, the trace id becomes
// the correlation id, so the operations of one trace share one. A malformed
// header is a 400 naming it; nothing is half-read.
std::optional<CorrelationContext> correlation_from(const httplib::Request& req, const Clock& clock);

}  // namespace incursa::platform::opsd
