// GET /v1/operations/{id}:wait?timeout=30s: returns when the operation is
// terminal or at the timeout, whichever comes first; either way with the latest
// snapshot and `done` (as Google's Operations.WaitOperation does).
//
// It blocks on the change feed, never polling the store in a loop: the head of
// the feed is taken *before* the first read, so a completion published between
// that read and the wait is still seen. Completions by other processes reach the
// feed through StorePoller; the store is read once more at the deadline in case
// the poller skipped one.
#include <algorithm>

#include "json_mapping.hpp"
#include "query_params.hpp"
#include "routes.hpp"

namespace incursa::platform::opsd {

namespace {

void wait(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  check_params(req, {"timeout"});
  const OperationId id = path_id(req);
  const auto timeout = std::clamp(duration_param(req, "timeout", ctx.limits.default_wait),
                                  std::chrono::milliseconds(0), ctx.limits.max_wait);
  if (!ctx.waits.try_acquire()) {
    res.set_header("Retry-After", "1");
    throw ApiError(503, "unavailable", "too many concurrent waits; retry");
  }
  struct Release {
    Slots& slots;
    ~Release() { slots.release(); }
  } release{ctx.waits};

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<OperationSnapshot> op;
  bool timed_out = false;
  while (!timed_out) {
    // (Re)start from the store: at first, and whenever we fell out of the ring.
    std::uint64_t cursor = ctx.feed.head();
    if (auto latest = ctx.tracker.get_snapshot(id)) {
      op = std::move(latest);
    } else if (!op) {
      throw ApiError(404, "not_found", "operation " + id.value() + " not found", "operation_id");
    }
    bool overflowed = false;
    while (!op->terminal() && !overflowed) {
      const ChangeBatch batch = ctx.feed.wait_after(cursor, deadline);
      if (batch.closed || (batch.changes.empty() && !batch.overflowed)) {
        timed_out = true;
        break;
      }
      overflowed = batch.overflowed;
      for (const ChangePtr& change : batch.changes) {
        cursor = change->sequence;
        if (change->operation.id == id && change->operation.version >= op->version) {
          op = change->operation;
        }
      }
    }
    if (op->terminal()) break;
  }
  if (!op->terminal()) {
    if (auto latest = ctx.tracker.get_snapshot(id)) op = std::move(latest);
  }
  send_json(res, 200, {{"operation", operation_json(*op)}, {"done", op->terminal()}});
}

}  // namespace

void register_wait(httplib::Server& server, ApiContext& ctx) {
  server.Get(R"(/v1/operations/([^/]+):wait)",
             guarded(ctx, [&ctx](const httplib::Request& req, httplib::Response& res) {
               wait(ctx, req, res);
             }));
}

}  // namespace incursa::platform::opsd
