// The HTTP server: cpp-httplib configured with opsd's limits, security headers,
// authentication and error format, and every route registered.
//
// What happens to a request, in order (server.cpp):
//   1. cpp-httplib reads the request line and headers (each line at most 8 KiB,
//      the URI at most 8 KiB; a client silent for read_timeout is dropped), under
//      GuardedServer's bounds: the whole request within request_timeout of its
//      first byte, and at most 2 x max_header_bytes + 8 KiB of head read at all;
//   2. pre-routing: refuse `..` paths (400), too many or too large headers (431),
//      bodies without Content-Length (411) or over the limit (413), then
//      authenticate (401/403) -- all before any body byte is read;
//   3. the route's handler; its exceptions become JSON errors (api_error.hpp);
//   4. the error handler gives any bodiless 4xx/5xx (404 for an unknown route,
//      cpp-httplib's own 400s) the same JSON error shape.
//
// Thread safety: construct, bind and run from one thread; stop() from any.
#pragma once

#include <httplib.h>

#include <mutex>
#include <string>

#include "api_context.hpp"
#include "guarded_server.hpp"

namespace incursa::platform::opsd {

class OpsdServer {
 public:
  OpsdServer(ApiContext& ctx, bool access_log);

  // Binds to host:port (port 0: any free port). Returns the bound port, or -1.
  int bind(const std::string& host, int port);
  // Serves until stop(). Returns false if the server failed.
  bool run();
  // From any thread, at any time, also before run(): cpp-httplib ignores a stop
  // that comes before its accept loop starts, so an early stop is remembered and
  // applied the moment the loop starts. Never blocks.
  void stop();

 private:
  // Construction, step by step.
  void use_bounded_threads();  // a thread pool sized for streams, waits and the rest
  void apply_limits();         // timeouts, body and head bounds
  void set_security_headers();
  void answer_errors_in_json(bool access_log);
  void register_routes();

  // Pre-routing: true lets the request through to its route; false means `res`
  // already holds the answer.
  bool admit(const httplib::Request& req, httplib::Response& res);
  bool within_limits(const httplib::Request& req, httplib::Response& res) const;
  bool answered_preflight(const httplib::Request& req, httplib::Response& res) const;  // CORS
  bool authorized(const httplib::Request& req, httplib::Response& res) const;

  ApiContext& ctx_;
  GuardedServer server_;
  std::mutex state_mutex_;
  bool stop_requested_ = false;
  bool running_ = false;   // the accept loop has started
  bool finished_ = false;  // run() returned
};

}  // namespace incursa::platform::opsd
