// GET /v1/stream: Server-Sent Events of operation changes (docs/opsd.md, "Live
// stream"). Takes the list filters plus `id`; each change whose snapshot matches
// is sent as
//
//   id: <feed sequence>
//   event: change
//   data: {"sequence":…,"kind":"progress","operation":{…},"event":{…}}
//
// A client reconnecting with Last-Event-ID resumes after that change if the feed
// still holds it, and otherwise gets `event: reset` (re-read your state). A
// comment line goes out every heartbeat interval, so dead connections are found
// and proxies keep the stream open. The stream holds a worker thread; the number
// of concurrent streams is bounded (503 past it).
#include <charconv>
#include <memory>

#include "json_mapping.hpp"
#include "query_params.hpp"
#include "routes.hpp"

namespace incursa::platform::opsd {

using nlohmann::json;

namespace {

struct StreamState {
  StreamState(ApiContext& c, OperationFilter f, std::optional<OperationId> i, std::uint64_t cur)
      : ctx(c), filter(std::move(f)), id(std::move(i)), cursor(cur) {}
  ~StreamState() { ctx.streams.release(); }
  StreamState(const StreamState&) = delete;
  StreamState& operator=(const StreamState&) = delete;

  ApiContext& ctx;
  OperationFilter filter;
  std::optional<OperationId> id;
  std::uint64_t cursor;
  bool greeted = false;
};

bool write(httplib::DataSink& sink, const std::string& text) {
  return sink.write(text.data(), text.size());
}

std::string frame(const Change& change) {
  json data = {{"sequence", change.sequence},
               {"kind", change.kind},
               {"operation", operation_json(change.operation)}};
  if (change.event) data["event"] = event_json(*change.event);
  return "id: " + std::to_string(change.sequence) +
         "\nevent: change\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) +
         "\n\n";
}

// Last-Event-ID, if it names a change this feed can still resume after.
std::optional<std::uint64_t> resume_cursor(const httplib::Request& req, std::uint64_t head) {
  if (!req.has_header("Last-Event-ID")) return std::nullopt;
  const std::string text = req.get_header_value("Last-Event-ID");
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value > head) return std::nullopt;
  return value;
}

bool pump(StreamState& s, httplib::DataSink& sink) {
  if (!s.greeted) {
    s.greeted = true;
    // `retry` sets the browser's reconnect delay; `ready` tells a client it is live.
    return write(
        sink, "retry: 2000\nevent: ready\ndata: " + json{{"sequence", s.cursor}}.dump() + "\n\n");
  }
  const ChangeBatch batch = s.ctx.feed.wait_after(
      s.cursor, std::chrono::steady_clock::now() + s.ctx.limits.stream_heartbeat);
  if (batch.closed) {
    sink.done();  // ends the chunked body cleanly; the loop stops calling us
    return true;
  }
  std::string out;
  if (batch.overflowed) out += "event: reset\ndata: {}\n\n";
  for (const ChangePtr& change : batch.changes) {
    s.cursor = change->sequence;
    if (s.id && change->operation.id != *s.id) continue;
    if (!matches(s.filter, change->operation)) continue;
    out += frame(*change);
  }
  if (out.empty() && batch.changes.empty()) out = ": keepalive\n\n";
  // Nothing matched: write nothing and go back to waiting (no busy loop: the
  // next wait blocks until something new arrives).
  if (out.empty()) return true;
  return write(sink, out);
}

void stream(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  check_params(req, {"id"}, true);
  OperationFilter filter = filter_from(req);
  std::optional<OperationId> id;
  if (auto text = single_param(req, "id")) id = OperationId::parse(*text);
  if (!ctx.streams.try_acquire()) {
    res.set_header("Retry-After", "5");
    throw ApiError(503, "unavailable", "too many live streams; retry later");
  }
  const std::uint64_t head = ctx.feed.head();
  auto state = std::make_shared<StreamState>(ctx, std::move(filter), std::move(id),
                                             resume_cursor(req, head).value_or(head));
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // reverse proxies: do not buffer the stream
  res.set_chunked_content_provider(
      "text/event-stream",
      [state](std::size_t, httplib::DataSink& sink) { return pump(*state, sink); });
}

}  // namespace

void register_stream(httplib::Server& server, ApiContext& ctx) {
  server.Get("/v1/stream", guarded(ctx, [&ctx](const httplib::Request& req,
                                               httplib::Response& res) { stream(ctx, req, res); }));
}

}  // namespace incursa::platform::opsd
