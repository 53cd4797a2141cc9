// The demo: a realistic workload written into a store in real time, so a new
// user sees every feature of the library move (opsctl demo).
//
// Over `duration` it runs, with sleeps between steps:
//   - Nightly.Import with four Import.Batch children, one after another, each
//     reporting rows; the parent reports batches and succeeds near the end;
//   - Webhook.Process operations arriving throughout (caller-chosen ids), one of
//     them redelivered (the idempotent start finds the first) and one Failed
//     with an Error event (a bad signature);
//   - Report.Generate, which goes quiet after 30 % and is marked Stalled by a
//     stall scan with a policy scaled to the demo's length (only this run's
//     operations are ever looked at: the store may hold real work);
//   - Export.Customers, canceled by an operator half-way: the worker sees the
//     request in its next progress update and completes as Canceled.
// Every start, completion, stall and cancel request also writes its audit event
// (PlatformEventEmitter), and webhooks write webhook.received, so timelines show
// both sources. Step times are fractions of `duration`, so a short run (tests use
// 2-3 s) tells the same story.
//
// Thread safety: run() drives the tracker from the calling thread only; readers
// (opsctl watch) may use the same store meanwhile.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "incursa/platform/audit/audit_log.hpp"
#include "incursa/platform/operations/operation_tracker.hpp"

namespace incursa::platform::tools {

struct DemoOptions {
  // At least 1 s, at most 24 h (ValidationError otherwise).
  std::chrono::milliseconds duration{60000};
  // Told about each notable step ("Report.Generate marked Stalled"), from run()'s thread.
  std::function<void(const std::string&)> on_note{};
};

struct DemoResult {
  platform::OperationId import_id{};
  std::vector<platform::OperationId> batch_ids{};
  std::vector<platform::OperationId> webhook_ids{};
  platform::OperationId failed_id{};    // the webhook that failed
  platform::OperationId stalled_id{};   // Report.Generate
  platform::OperationId canceled_id{};  // Export.Customers
  // Stopped early: work still open was completed as Canceled ("demo interrupted"),
  // except an operation already marked Stalled.
  bool interrupted = false;
};

class DemoWorkload {
 public:
  // The tracker and watcher are usually one Tracker; `audit` receives the
  // lifecycle and webhook audit events. All must outlive the workload.
  DemoWorkload(platform::OperationTracker& tracker, platform::OperationWatcher& watcher,
               platform::AuditEventWriter& audit, DemoOptions options);

  // Runs the scenario to its end, or until `stop` is requested.
  DemoResult run(std::stop_token stop);

 private:
  platform::OperationTracker& tracker_;
  platform::OperationWatcher& watcher_;
  platform::AuditEventWriter& audit_;
  DemoOptions options_;
};

}  // namespace incursa::platform::tools
