// GET /healthz, GET /metrics and GET /v1/session.
#include "routes.hpp"

namespace incursa::platform::opsd {

using nlohmann::json;

namespace {

void healthz(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  try {
    // One cheap read proves the store answers.
    OperationQuery probe;
    probe.limit = 1;
    ctx.tracker.list(probe);
  } catch (const std::exception& e) {
    ctx.log(std::string("health check failed: ") + e.what());
    send_json(res, 503, {{"status", "unavailable"}, {"store", ctx.store_kind}});
    return;
  }
  send_json(res, 200, {{"status", "ok"}, {"store", ctx.store_kind}});
}

void metrics(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  std::string text = ctx.metrics.to_prometheus();
  const auto gauge = [&text](const char* name, const char* help, std::uint64_t value) {
    text += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
            " " + std::to_string(value) + "\n";
  };
  gauge("opsd_streams_open", "Server-Sent Events streams currently open.", ctx.streams.in_use());
  gauge("opsd_waits_open", "Requests currently blocked in :wait.", ctx.waits.in_use());
  gauge("opsd_change_feed_sequence", "Changes published to the live feed since start.",
        ctx.feed.head());
  res.set_header("Cache-Control", "no-store");
  res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
}

// What the caller may do, so a client (the dashboard) can offer only what works.
// Public: a client without a token must be able to learn that it needs one.
void session(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<std::string> authorization;
  if (req.has_header("Authorization")) authorization = req.get_header_value("Authorization");
  const AuthDecision d = authorize(ctx.auth, Requirement::Public, authorization);
  send_json(res, 200,
            {{"access", std::string(to_string(d.access))},
             {"tokens_configured", !ctx.auth.tokens.empty()},
             {"anonymous_reads", ctx.auth.anonymous_reads || ctx.auth.tokens.empty()},
             {"store", ctx.store_kind}});
}

}  // namespace

void register_system(httplib::Server& server, ApiContext& ctx) {
  const auto bind = [&ctx](void (*f)(ApiContext&, const httplib::Request&, httplib::Response&)) {
    return guarded(
        ctx, [&ctx, f](const httplib::Request& req, httplib::Response& res) { f(ctx, req, res); });
  };
  server.Get("/healthz", bind(healthz));
  server.Get("/metrics", bind(metrics));
  server.Get("/v1/session", bind(session));
}

}  // namespace incursa::platform::opsd
