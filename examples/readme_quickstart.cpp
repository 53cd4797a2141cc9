// The README's quickstart, compiled by the build so the README cannot rot.
// Keep it identical to the snippet in README.md.
// It wraps lines its own way, so clang-format stays out:
// clang-format off
#include <incursa/platform/platform.hpp>

#include <chrono>
#include <iostream>

using namespace incursa::platform;

int main() {
  Tracker tracker(open_store("memory:"));

  // RAII: Succeeded on normal exit, Failed (with an Error event) if an exception escapes.
  run(tracker, "Nightly.Import", [](OperationScope& op) {
    for (int batch = 1; batch <= 4; ++batch) {
      op.progress({.percent = batch * 25.0, .message = "batch " + std::to_string(batch),
                   .progress = StructuredProgress{batch * 250, 1000, "rows"}});
      if (op.stop_token().stop_requested()) {  // someone called request_cancel
        op.complete(OperationStatus::Canceled);
        return;
      }
    }
  });

  // Or drive it by hand, with a caller-chosen id for idempotent webhook retries.
  StartOptions options;
  options.id = OperationId::parse("webhook-evt_1");
  options.tags = {{"provider", "stripe"}};
  OperationSnapshot op = tracker.start("Webhook.Process", options);
  tracker.add_event(op.id, "payload.parsed", "invoice.paid", R"({"invoice":"in_123"})");
  tracker.complete(op.id, OperationStatus::Succeeded);

  for (const OperationEvent& e : tracker.events(op.id))
    std::cout << e.sequence << " " << e.kind << " " << e.message.value_or("") << "\n";

  // Watch for stalled work.
  for (const OperationSnapshot& stale : tracker.find_stalled({.threshold = std::chrono::minutes(30)}))
    tracker.mark_stalled(stale.id);
}
