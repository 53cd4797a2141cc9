// Quickstart: track a nightly import and a webhook, then print what happened.
//
//   quickstart [STORE_URI]     (default: memory:)
#include <iostream>
#include <stdexcept>

#include "incursa/platform/platform.hpp"

using namespace incursa::platform;

namespace {

void print(const OperationSnapshot& s, OperationTracker& tracker) {
  std::cout << s.name << " " << s.id.value() << "\n"
            << "  status:   " << to_string(s.status) << "\n"
            << "  percent:  " << (s.percent ? std::to_string(*s.percent) : "-") << "\n"
            << "  message:  " << s.message.value_or("-") << "\n"
            << "  started:  " << format_iso8601(s.started_at) << "\n"
            << "  version:  " << s.version << "\n"
            << "  events:\n";
  for (const OperationEvent& e : tracker.events(s.id)) {
    std::cout << "    #" << e.sequence << " " << format_iso8601(e.occurred_at) << " [" << e.kind
              << "] " << e.message.value_or("") << (e.data_json ? " " + *e.data_json : "") << "\n";
  }
}

// The webhook-handler pattern: the provider's event id is the operation id, so a
// redelivered webhook finds its operation instead of starting a second one.
void handle_webhook(Tracker& tracker, const std::string& event_id) {
  StartOptions options;
  options.id = OperationId::parse("webhook-" + event_id);
  options.tags = {{"provider", "stripe"}, {"webhookEventId", event_id}};
  const OperationSnapshot op = tracker.start("Webhook.Process", options);
  if (op.terminal()) return;  // a retry of work already done
  run(
      tracker, "Webhook.Verify", [](OperationScope& step) { step.event("signature.ok"); },
      StartOptions{.parent_id = op.id});
  tracker.add_event(op.id, "payload.parsed", "invoice.paid", R"({"invoice":"in_123"})");
  tracker.complete(op.id, OperationStatus::Succeeded, "invoice marked paid");
}

}  // namespace

int main(int argc, char** argv) try {
  Tracker tracker(open_store(argc > 1 ? argv[1] : "memory:"));

  // A long-running job with progress, tied to a correlation id.
  CorrelationScope correlation(CorrelationContext::create());
  OperationId import_id;
  run(tracker, "Nightly.Import", [&](OperationScope& op) {
    import_id = op.id();
    for (int batch = 1; batch <= 4; ++batch) {
      op.progress({.percent = batch * 25.0,
                   .message = "batch " + std::to_string(batch) + " of 4",
                   .progress = StructuredProgress{batch * 250, 1000, "rows"}});
    }
    op.event("import.summary", "1000 rows imported", R"({"rows":1000,"skipped":0})");
  });
  print(*tracker.get_snapshot(import_id), tracker);

  handle_webhook(tracker, "evt_1");
  handle_webhook(tracker, "evt_1");  // redelivery: no second operation
  print(*tracker.get_snapshot(OperationId::parse("webhook-evt_1")), tracker);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "quickstart: " << e.what() << "\n";
  return 1;
}
