#include "incursa/platform/operations/operation_scope.hpp"

#include <string>

#include "base/text.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"

namespace incursa::platform {

namespace {
constexpr std::string_view kUnwoundText =
    "operation scope exited by an exception (use run() or fail() to record its text)";
}

OperationScope::OperationScope(OperationTracker& tracker, std::string_view name,
                               const StartOptions& options)
    : tracker_(tracker),
      id_(tracker.start(name, options).id),
      uncaught_at_start_(std::uncaught_exceptions()) {}

OperationScope::~OperationScope() {
  if (done_) return;
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    fail_quietly(kUnwoundText);
    return;
  }
  try {
    complete(OperationStatus::Succeeded);
  } catch (...) {
    // A destructor must not throw; the operation stays open and stall detection finds it.
  }
}

const OperationSnapshot& OperationScope::observe(const OperationSnapshot& snapshot) {
  if (snapshot.cancel_requested()) stop_.request_stop();
  return snapshot;
}

OperationSnapshot OperationScope::progress(const ProgressUpdate& update) {
  return observe(tracker_.update_progress(id_, update));
}

OperationSnapshot OperationScope::progress(double percent,
                                           std::optional<std::string_view> message) {
  ProgressUpdate update;
  update.percent = percent;
  if (message) update.message = std::string(*message);
  return progress(update);
}

OperationSnapshot OperationScope::heartbeat() { return observe(tracker_.heartbeat(id_)); }

OperationEvent OperationScope::event(std::string_view kind, std::optional<std::string_view> message,
                                     std::optional<std::string_view> data_json) {
  return tracker_.add_event(id_, kind, message, data_json);
}

OperationSnapshot OperationScope::complete(OperationStatus status,
                                           std::optional<std::string_view> message) {
  OperationSnapshot snapshot = tracker_.complete(id_, status, message);
  done_ = true;
  return snapshot;
}

OperationSnapshot OperationScope::fail(std::string_view error_text) {
  OperationSnapshot snapshot = record_failure(tracker_, id_, error_text);
  done_ = true;
  return snapshot;
}

void OperationScope::fail_quietly(std::string_view error_text) noexcept {
  if (done_) return;
  try {
    fail(error_text);
  } catch (...) {
    // The caller's exception matters more; the operation stays open for stall detection.
  }
}

OperationSnapshot record_failure(OperationTracker& tracker, const OperationId& id,
                                 std::string_view error_text) {
  // Exception texts are not ours to vouch for: make them fit the message rules
  // rather than fail the failure report.
  const std::string text = detail::to_message_text(error_text, limits::kMaxMessageBytes);
  tracker.add_event(id, event_kinds::kError, text);
  return tracker.complete(id, OperationStatus::Failed, text);
}

OperationSnapshot record_failure(OperationTracker& tracker, const OperationId& id,
                                 const std::exception& error) {
  return record_failure(tracker, id, std::string_view(error.what()));
}

OperationSnapshot record_failure(OperationTracker& tracker, const OperationId& id,
                                 std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return record_failure(tracker, id, e);
  } catch (...) {
  }
  return record_failure(tracker, id, std::string_view("unknown exception"));
}

}  // namespace incursa::platform
