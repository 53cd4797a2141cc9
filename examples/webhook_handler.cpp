// The webhook-handler flow, end to end: a provider's webhook arrives, is tracked
// as an operation with its own events, leaves audit evidence anchored to the
// business objects it touched, and the timeline answers "what happened?".
//
//   webhook_handler [STORE_URI]     (default: memory:)
#include <iostream>

#include "incursa/platform/platform.hpp"

using namespace incursa::platform;

namespace {

struct Webhook {
  std::string event_id;
  std::string type;
  std::string invoice_id;
};

OperationId handle(Tracker& tracker, AuditLog& audit, PlatformEventEmitter& emitter,
                   const Webhook& webhook) {
  // The provider's event id makes the operation id: a redelivery finds this operation.
  StartOptions options;
  options.id = OperationId::parse("webhook-" + webhook.event_id);
  options.tags = {{std::string(PlatformTagKeys::kProvider), "stripe"},
                  {std::string(PlatformTagKeys::kWebhookEventId), webhook.event_id}};
  const OperationSnapshot op = emitter.start_operation(tracker, "Webhook.Process", options);
  if (op.terminal()) return op.id;

  AuditEvent received;
  received.name = std::string(PlatformEventNames::kWebhookReceived);
  received.display_message = "Stripe webhook " + webhook.type + " received";
  received.outcome = EventOutcome::Info;
  received.anchors = {{"Operation", op.id.value(), "Subject"},
                      {"Invoice", webhook.invoice_id, "Target"}};
  received.data_json = R"({"type":")" + webhook.type + R"("})";
  audit.write(received);

  tracker.update_progress(op.id, {.percent = 30.0, .message = "signature verified"});
  tracker.add_event(op.id, "payload.parsed", webhook.type,
                    R"({"invoice":")" + webhook.invoice_id + R"("})");
  tracker.update_progress(op.id, {.percent = 80.0, .message = "invoice updated"});

  AuditEvent paid;
  paid.name = "invoice.paid";
  paid.display_message = "Invoice " + webhook.invoice_id + " marked paid";
  paid.outcome = EventOutcome::Success;
  // Anchored to the invoice it is about and to the operation that did it: the
  // operation's anchor puts it on the operation's timeline.
  paid.anchors = {{"Invoice", webhook.invoice_id, "Subject"},
                  {"Operation", op.id.value(), "Source"}};
  paid.correlation = op.correlation;
  audit.write(paid);

  emitter.complete_operation(tracker, op.id, OperationStatus::Succeeded, "invoice marked paid");
  return op.id;
}

const char* source_name(TimelineEntry::Source s) {
  switch (s) {
    case TimelineEntry::Source::Event:
      return "event";
    case TimelineEntry::Source::ChildStarted:
      return "child";
    case TimelineEntry::Source::Audit:
      return "audit";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) try {
  const auto store = open_store(argc > 1 ? argv[1] : "memory:");
  Tracker tracker(store);
  AuditLog audit(audit_store(store));
  PlatformEventEmitter emitter(audit);

  // The request's correlation (from X-Correlation-Id, say) flows into everything below.
  CorrelationScope correlation(CorrelationContext::create());
  const Webhook webhook{"evt_1Nx", "invoice.payment_succeeded", "in_1001"};
  const OperationId id = handle(tracker, audit, emitter, webhook);
  handle(tracker, audit, emitter, webhook);  // the provider retries: nothing is done twice

  const Timeline timeline = tracker.timeline(id);
  std::cout << "timeline of " << timeline.operation.name << " " << id.value() << " ("
            << to_string(timeline.operation.status) << ")\n";
  for (const TimelineEntry& e : timeline.entries) {
    std::cout << "  " << format_iso8601(e.at) << "  " << source_name(e.source) << "  ";
    if (e.event)
      std::cout << "#" << e.event->sequence << " [" << e.event->kind << "] "
                << e.event->message.value_or("");
    if (e.child) std::cout << e.child->name << " " << to_string(e.child->status);
    if (e.audit)
      std::cout << e.audit->name << " (" << to_string(e.audit->outcome) << ") "
                << e.audit->display_message;
    std::cout << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "webhook_handler: " << e.what() << "\n";
  return 1;
}
