// OperationScope: one operation tied to a C++ scope (RAII).
//
//   {
//     OperationScope op(tracker, "Invoice.Generate");
//     op.progress(50, "rendered");
//     if (op.stop_token().stop_requested()) { op.complete(OperationStatus::Canceled); return; }
//   }  // -> Succeeded
//
// Destroyed normally, the operation completes as Succeeded (or with whatever was
// passed to complete()). Destroyed while an exception unwinds, or after fail(),
// it records an `Error` event and completes as Failed -- never as Succeeded.
// A destructor cannot see the in-flight exception, so to record the exception's
// own text use run() (below) or catch and call fail(e.what()).
//
// A cancel request (OperationTracker::request_cancel) reaches the worker through
// stop_token(): the token is stopped once progress() or heartbeat() sees it.
//
// Thread safety: one scope belongs to one thread of control; stop_token() may be
// handed to other threads. The tracker must outlive the scope. The destructor
// never throws: a store error while completing is swallowed (the operation then
// stays non-terminal and is found by stall detection).
#pragma once

#include <exception>
#include <optional>
#include <stop_token>
#include <string_view>
#include <type_traits>
#include <utility>

#include "incursa/platform/operations/operation_tracker.hpp"

namespace incursa::platform {

class OperationScope {
 public:
  // Starts the operation. Throws what OperationTracker::start throws.
  OperationScope(OperationTracker& tracker, std::string_view name,
                 const StartOptions& options = {});
  ~OperationScope();

  OperationScope(const OperationScope&) = delete;
  OperationScope& operator=(const OperationScope&) = delete;

  const OperationId& id() const noexcept { return id_; }

  OperationSnapshot progress(const ProgressUpdate& update);
  OperationSnapshot progress(double percent,
                             std::optional<std::string_view> message = std::nullopt);
  OperationSnapshot heartbeat();
  OperationEvent event(std::string_view kind,
                       std::optional<std::string_view> message = std::nullopt,
                       std::optional<std::string_view> data_json = std::nullopt);

  // Completes now; later completes (and the destructor) do nothing.
  OperationSnapshot complete(OperationStatus status = OperationStatus::Succeeded,
                             std::optional<std::string_view> message = std::nullopt);
  // Records an `Error` event with `error_text`, then completes as Failed.
  OperationSnapshot fail(std::string_view error_text);

  // fail() unless already done, swallowing store errors: used where the caller's
  // own exception must propagate unchanged.
  void fail_quietly(std::string_view error_text) noexcept;

  bool done() const noexcept { return done_; }
  std::stop_token stop_token() const noexcept { return stop_.get_token(); }

 private:
  const OperationSnapshot& observe(const OperationSnapshot& snapshot);

  OperationTracker& tracker_;
  OperationId id_;
  bool done_ = false;
  int uncaught_at_start_;
  std::stop_source stop_;
};

// Records `error` against `id`: an `Error` event carrying its text, then Failed.
// Throws what the tracker throws (e.g. InvalidTransitionError if already Succeeded).
// Texts that are not valid UTF-8 or exceed the message limit are cleaned and cut.
OperationSnapshot record_failure(OperationTracker& tracker, const OperationId& id,
                                 std::string_view error_text);
OperationSnapshot record_failure(OperationTracker& tracker, const OperationId& id,
                                 const std::exception& error);
OperationSnapshot record_failure(OperationTracker& tracker, const OperationId& id,
                                 std::exception_ptr error);

// Runs fn(OperationScope&) as operation `name` and returns fn's result. If fn
// throws, the exception's text is recorded (Error event, then Failed) and the
// exception is rethrown unchanged. If fn returns without completing, Succeeded.
template <class Fn>
auto run(OperationTracker& tracker, std::string_view name, Fn&& fn,
         const StartOptions& options = {}) -> std::invoke_result_t<Fn&, OperationScope&> {
  OperationScope scope(tracker, name, options);
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&, OperationScope&>>) {
      fn(scope);
      if (!scope.done()) scope.complete();
    } else {
      auto result = fn(scope);
      if (!scope.done()) scope.complete();
      return result;
    }
  } catch (const std::exception& error) {
    scope.fail_quietly(error.what());
    throw;
  } catch (...) {
    scope.fail_quietly("unknown exception");
    throw;
  }
}

}  // namespace incursa::platform
