#include "server.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "routes.hpp"
#include "thread_pool.hpp"

namespace incursa::platform::opsd {

namespace {

using HandlerResponse = httplib::Server::HandlerResponse;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The decoded path escapes its directory or smuggles a separator.
bool unsafe_path(std::string_view path) {
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) {
    return true;
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    if (path.substr(start, slash - start) == "..") return true;
    start = slash + 1;
  }
  return false;
}

Requirement requirement_for(const httplib::Request& req) {
  const std::string_view path = req.path;
  if (req.method == "OPTIONS") return Requirement::Public;
  if (path == "/v1/session") return Requirement::Public;
  if (starts_with(path, "/v1/")) {
    return req.method == "GET" || req.method == "HEAD" ? Requirement::Read : Requirement::Write;
  }
  if (path == "/metrics") return Requirement::Read;
  return Requirement::Public;  // /healthz and the dashboard's files carry no data
}

// A refused request may still have its body in flight. `Connection: close` tells
// the client not to reuse the connection; cpp-httplib itself drops it once those
// bytes fail to parse as a request, or at the keep-alive timeout.
void refuse(httplib::Response& res, int status, const std::string& code,
            const std::string& message) {
  send_error(res, status, code, message);
  res.set_header("Connection", "close");
}

std::string default_code(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 416:
      return "range_not_satisfiable";
    case 431:
      return "headers_too_large";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "http_" + std::to_string(status);
  }
}

std::string default_message(int status) {
  switch (status) {
    case 400:
      return "the request is malformed";
    case 404:
      return "no such resource";
    case 413:
      return "the body is too large";
    case 414:
      return "the URI is too long";
    default:
      return "the request failed with HTTP status " + std::to_string(status);
  }
}

}  // namespace

OpsdServer::OpsdServer(ApiContext& ctx, bool access_log) : ctx_(ctx) {
  use_bounded_threads();
  apply_limits();
  set_security_headers();
  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return admit(req, res) ? HandlerResponse::Unhandled : HandlerResponse::Handled;
  });
  answer_errors_in_json(access_log);
  register_routes();
}

void OpsdServer::use_bounded_threads() {
  const ServerLimits& limits = ctx_.limits;
  // Streams and waits hold a thread each for their whole life; the rest share
  // worker_threads, so a full house of streams cannot starve ordinary requests.
  const std::size_t max_threads = limits.max_streams + limits.max_waits + limits.worker_threads;
  // cpp-httplib creates the queue once its accept loop is running: the moment
  // from which stop() takes effect.
  server_.new_task_queue = [this, max_threads] {
    auto* pool = new DynamicThreadPool(max_threads, std::chrono::seconds(30));
    std::lock_guard lock(state_mutex_);
    running_ = true;
    if (stop_requested_) server_.stop();  // the loop sees the closed socket and ends
    return pool;
  };
}

void OpsdServer::apply_limits() {
  const ServerLimits& limits = ctx_.limits;
  const auto secs = [](std::chrono::milliseconds d) {
    return std::pair<time_t, time_t>(static_cast<time_t>(d.count() / 1000),
                                     static_cast<time_t>((d.count() % 1000) * 1000));
  };
  server_.set_read_timeout(secs(limits.read_timeout).first, secs(limits.read_timeout).second);
  server_.set_write_timeout(secs(limits.write_timeout).first, secs(limits.write_timeout).second);
  server_.set_keep_alive_timeout(static_cast<time_t>(limits.keep_alive_timeout.count()));
  server_.set_keep_alive_max_count(100);
  server_.set_payload_max_length(limits.max_body_bytes);
  // The bounds cpp-httplib 0.11 lacks (guarded_server.hpp). The head budget is
  // well above the 431 limit, so a client merely over it still hears why; one
  // past the budget is dropped without another byte read.
  RequestGuards guards;
  guards.request_timeout = limits.request_timeout;
  guards.max_head_bytes = 2 * limits.max_header_bytes + 8 * 1024;
  server_.set_guards(guards);
  // cpp-httplib writes a response's head and body separately; with Nagle on, a
  // client's delayed ACK would hold the body back ~40 ms on every request.
  server_.set_tcp_nodelay(true);
}

void OpsdServer::set_security_headers() {
  server_.set_default_headers({
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Content-Security-Policy",
       // No inline script or style anywhere (the dashboard has none), no eval,
       // no plugins, nothing from another origin, never framed.
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
  });
}

bool OpsdServer::admit(const httplib::Request& req, httplib::Response& res) {
  return within_limits(req, res) && !answered_preflight(req, res) && authorized(req, res);
}

bool OpsdServer::within_limits(const httplib::Request& req, httplib::Response& res) const {
  const ServerLimits& l = ctx_.limits;
  if (unsafe_path(req.path)) {
    refuse(res, 400, "invalid_path", "the path may not contain `..` segments or backslashes");
    return false;
  }
  std::size_t header_bytes = 0;
  for (const auto& [name, value] : req.headers) header_bytes += name.size() + value.size() + 4;
  if (req.headers.size() > l.max_header_count || header_bytes > l.max_header_bytes) {
    refuse(res, 431, "headers_too_large", "too many or too large request headers");
    return false;
  }
  // cpp-httplib 0.11 does not apply its payload limit to chunked bodies, so
  // bodies must announce their length, which is then checked before reading.
  if (req.has_header("Transfer-Encoding")) {
    refuse(res, 411, "length_required", "send the body with Content-Length");
    return false;
  }
  if (req.has_header("Content-Length")) {
    const std::string length = req.get_header_value("Content-Length");
    const bool digits = !length.empty() && length.size() < 19 &&
                        std::all_of(length.begin(), length.end(),
                                    [](unsigned char c) { return std::isdigit(c) != 0; });
    if (!digits) {
      refuse(res, 400, "bad_request", "Content-Length is not a number");
      return false;
    }
    if (std::stoull(length) > l.max_body_bytes) {
      refuse(res, 413, "payload_too_large",
             "the body is over the limit of " + std::to_string(l.max_body_bytes) + " bytes");
      return false;
    }
  }
  return true;
}

bool OpsdServer::answered_preflight(const httplib::Request& req, httplib::Response& res) const {
  // CORS is off unless origins were configured; then only those, exactly.
  if (ctx_.cors_origins.empty() || !req.has_header("Origin")) return false;
  const std::string origin = req.get_header_value("Origin");
  if (std::find(ctx_.cors_origins.begin(), ctx_.cors_origins.end(), origin) ==
      ctx_.cors_origins.end()) {
    return false;
  }
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  if (req.method != "OPTIONS") return false;
  res.set_header("Access-Control-Allow-Methods", "GET, POST");
  res.set_header("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, Last-Event-ID, X-Correlation-Id, traceparent");
  res.set_header("Access-Control-Max-Age", "600");
  res.status = 204;
  return true;
}

bool OpsdServer::authorized(const httplib::Request& req, httplib::Response& res) const {
  std::optional<std::string> authorization;
  if (req.has_header("Authorization")) authorization = req.get_header_value("Authorization");
  const AuthDecision decision = authorize(ctx_.auth, requirement_for(req), authorization);
  if (decision.allowed) return true;
  if (decision.status == 401) {
    res.set_header("WWW-Authenticate", decision.token_presented
                                           ? R"(Bearer realm="opsd", error="invalid_token")"
                                           : R"(Bearer realm="opsd")");
  }
  refuse(res, decision.status, decision.code, decision.message);
  return false;
}

void OpsdServer::answer_errors_in_json(bool access_log) {
  server_.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        send_exception(res, error, ctx_.log);
      });
  server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty() || res.status == 304) return;
    send_error(res, res.status, default_code(res.status), default_message(res.status));
  });
  if (access_log) {
    // Method, path and status only: no query strings, no headers, so no tokens.
    server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      ctx_.log(req.method + " " + req.path + " " + std::to_string(res.status));
    });
  }
}

void OpsdServer::register_routes() {
  register_system(server_, ctx_);
  register_wait(server_, ctx_);  // before the reads: "{id}:wait" must not match "{id}"
  register_operation_routes(server_, ctx_);
  register_stream(server_, ctx_);
  register_dashboard(server_, ctx_);
  // Known paths, wrong method: say so rather than 404.
  const auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    send_error(res, 405, "method_not_allowed", "this method is not allowed here");
  };
  server_.Put(R"(/v1/.*)", not_allowed);
  server_.Patch(R"(/v1/.*)", not_allowed);
  server_.Delete(R"(/v1/.*)", not_allowed);
}

int OpsdServer::bind(const std::string& host, int port) {
  if (port == 0) return server_.bind_to_any_port(host);
  return server_.bind_to_port(host, port) ? port : -1;
}

bool OpsdServer::run() {
  {
    std::lock_guard lock(state_mutex_);
    if (stop_requested_) {
      finished_ = true;
      return true;
    }
  }
  const bool ok = server_.listen_after_bind();
  std::lock_guard lock(state_mutex_);
  finished_ = true;
  return ok;
}

void OpsdServer::stop() {
  std::lock_guard lock(state_mutex_);
  stop_requested_ = true;
  if (running_ && !finished_) server_.stop();
}

}  // namespace incursa::platform::opsd
