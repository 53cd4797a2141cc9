// The emitter and the observed tracker (contract §6), on every store.
#include <nlohmann/json.hpp>

#include "incursa/platform/correlation/correlation_scope.hpp"
#include "incursa/platform/observability/observed_tracker.hpp"
#include "incursa/platform/observability/platform_names.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;
using namespace std::chrono_literals;

TEST_P(StoreConformance, EmitterOutcomeForEveryStatus) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  EXPECT_EQ(PlatformEventEmitter::outcome_for(S::Succeeded), EventOutcome::Success);
  EXPECT_EQ(PlatformEventEmitter::outcome_for(S::Failed), EventOutcome::Failure);
  EXPECT_EQ(PlatformEventEmitter::outcome_for(S::Canceled), EventOutcome::Warning);
  EXPECT_EQ(PlatformEventEmitter::outcome_for(S::Stalled), EventOutcome::Warning);
  EXPECT_EQ(PlatformEventEmitter::outcome_for(S::Pending), EventOutcome::Info);
  EXPECT_EQ(PlatformEventEmitter::outcome_for(S::Running), EventOutcome::Info);

  AuditLog log(audit_store(store), {.clock = clock});
  PlatformEventEmitter emitter(log);
  struct Case {
    S status;
    std::string_view name;
    EventOutcome outcome;
  };
  for (const Case& c :
       {Case{S::Succeeded, PlatformEventNames::kOperationCompleted, EventOutcome::Success},
        Case{S::Failed, PlatformEventNames::kOperationFailed, EventOutcome::Failure},
        Case{S::Canceled, PlatformEventNames::kOperationCompleted, EventOutcome::Warning}}) {
    SCOPED_TRACE(std::string(to_string(c.status)));
    const OperationId id = emitter.start_operation(*tracker, "Emit.Me").id;
    clock->advance(1s);
    emitter.complete_operation(*tracker, id, c.status, "the end");
    const auto audit = log.query({.anchors = {{"Operation", id.value(), "Subject"}}});
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[0].name, c.name);
    EXPECT_EQ(audit[0].outcome, c.outcome);
    const auto data = nlohmann::json::parse(*audit[0].data_json);
    EXPECT_EQ(data["status"], std::string(to_string(c.status)));
    EXPECT_EQ(data["message"], "the end");
    EXPECT_EQ(audit[1].name, PlatformEventNames::kOperationStarted);
    EXPECT_EQ(audit[1].outcome, EventOutcome::Info);
  }
}

TEST_P(StoreConformance, EmitterStartDataAndAmbientCorrelation) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  PlatformEventEmitter emitter(log);
  CorrelationContext ambient;
  ambient.correlation_id = CorrelationId::parse("ambient-1");
  ambient.created_at = clock->now();
  CorrelationScope scope(ambient);
  StartOptions options;
  options.tags = {{"tenant", "acme"}};
  const OperationSnapshot op = emitter.start_operation(*tracker, "Emit.Start", options);
  const auto audit = log.query({.name = "operation.started"});
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(*audit[0].data_json),
            nlohmann::json::parse(
                R"({"status":null,"message":null,"tags":{"tenant":"acme","operationId":")" +
                op.id.value() + R"("}})"));
  EXPECT_EQ(audit[0].anchors, (std::vector<EventAnchor>{{"Operation", op.id.value(), "Subject"}}));
  ASSERT_TRUE(audit[0].correlation.has_value());
  EXPECT_EQ(audit[0].correlation->correlation_id.value(), "ambient-1");
  EXPECT_EQ(audit[0].occurred_at, op.started_at);
}

// The operation was written, so its audit event must be too: a completion
// message or cancel reason at the limit, and tags that escape past the audit
// data limit, are fitted, not refused.
TEST_P(StoreConformance, ObservedTrackerAuditsOperationsAtEveryLimit) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  PlatformEventEmitter emitter(log);
  ObservedTracker observed(*tracker, *tracker, &emitter, nullptr);
  StartOptions options;
  for (int k = 0; k < 32; ++k) options.tags["k" + std::to_string(k)] = std::string(256, '"');
  const OperationId id = observed.start("Observed.Limits", options).id;
  observed.request_cancel(id, std::string(1024, 'r'));
  observed.complete(id, S::Canceled, std::string(1024, 'm'));
  const auto events = log.query({.anchors = {{"Operation", id.value(), ""}}});
  ASSERT_EQ(events.size(), 3U);  // completed, cancel_requested, started
  for (const AuditEvent& e : events) {
    EXPECT_LE(e.display_message.size(), 1024U) << e.name;
    const auto data = nlohmann::json::parse(*e.data_json);
    EXPECT_EQ(data["tags"]["operationId"], id.value()) << e.name;
    EXPECT_EQ(data["tags_omitted"], 32) << e.name;
  }
  for (const AuditEvent& e : events) {
    if (e.name != "operation.started") {  // the two that carry a 1024-byte text
      EXPECT_TRUE(e.display_message.ends_with("...")) << e.name << ": " << e.display_message;
    }
  }
  EXPECT_EQ(tracker->get_snapshot(id)->tags.size(), 32U);  // the operation keeps them all
}

TEST_P(StoreConformance, ObservedTrackerEmitsEachFactOnceAndCounts) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  PlatformEventEmitter emitter(log);
  OperationMetrics metrics;
  ObservedTracker observed(*tracker, *tracker, &emitter, &metrics);
  StartOptions options;
  options.id = OperationId::parse("observed-1");
  observed.start("Observed.Op", options);
  observed.start("Observed.Op", options);  // idempotent retry: no second audit event
  clock->advance(1s);
  observed.update_progress(*options.id, {.percent = 50.0});
  observed.add_event(*options.id, "step");
  observed.update_progress_with_event(*options.id, {.percent = 60.0}, "step");  // counts as both
  observed.request_cancel(*options.id, "stop");
  clock->advance(2min);
  EXPECT_TRUE(observed.mark_stalled(*options.id));
  clock->advance(1min);
  observed.complete(*options.id, S::Canceled);
  observed.complete(*options.id, S::Canceled);  // repeated: no-op, no second event

  std::vector<std::string> names;
  for (const auto& e : log.query({.anchors = {{"Operation", "observed-1", ""}}})) {
    names.push_back(e.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"operation.completed", "operation.stalled",
                                             "operation.cancel_requested", "operation.started"}));
  EXPECT_EQ(metrics.started_total(), 1u);
  EXPECT_EQ(metrics.progress_updated_total(), 2u);
  EXPECT_EQ(metrics.event_added_total("step"), 2u);
  EXPECT_EQ(metrics.stalled_total(), 1u);
  EXPECT_EQ(metrics.completed_total(S::Canceled), 1u);
  EXPECT_NE(
      metrics.to_prometheus().find(
          "incursa_platform_operation_duration_seconds_bucket{status=\"Canceled\",le=\"300\"} 1"),
      std::string::npos);
}

}  // namespace
}  // namespace incursa::platform::testing
