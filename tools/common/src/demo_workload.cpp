// The demo scenario as a schedule of steps at fractions of the run's length.
// One thread runs the steps in time order and sleeps in between, so several
// operations are open at once, as they would be in a service.
#include "incursa/tools/demo_workload.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "incursa/platform/error.hpp"
#include "incursa/platform/observability/observed_tracker.hpp"
#include "incursa/platform/observability/platform_event_emitter.hpp"
#include "incursa/platform/operations/operation_scope.hpp"
#include "incursa/platform/operations/stall_policy.hpp"
#include "incursa/platform/operations/store_support.hpp"
#include "incursa/tools/durations.hpp"
#include "incursa/tools/interrupt_signals.hpp"

namespace incursa::platform::tools {

namespace {

using namespace std::chrono_literals;
using platform::CorrelationContext;
using platform::CorrelationId;
using platform::OperationId;
using platform::OperationSnapshot;
using platform::OperationStatus;
using platform::ProgressUpdate;
using platform::StartOptions;
using platform::StructuredProgress;

constexpr int kBatches = 4;
constexpr int kRowsPerBatch = 250;
constexpr int kBatchTicks = 8;
constexpr int kWebhooks = 8;
constexpr int kRedeliveredWebhook = 2;
constexpr int kFailingWebhook = 5;

struct Step {
  double at;  // fraction of the run's duration
  std::function<void()> run;
};

CorrelationContext new_correlation() {
  CorrelationContext c;
  c.correlation_id = CorrelationId::generate();
  c.created_at = platform::truncate_to_micros(std::chrono::system_clock::now());
  return c;
}

ProgressUpdate progress(double percent, std::string message, StructuredProgress structured) {
  ProgressUpdate u;
  u.percent = percent;
  u.message = std::move(message);
  u.progress = std::move(structured);
  return u;
}

// Everything the steps share: the ids they create and read.
class Scenario {
 public:
  Scenario(platform::ObservedTracker& ops, platform::AuditEventWriter& audit,
           platform::StallPolicy policy, const std::function<void(const std::string&)>& note)
      : ops_(ops), audit_(audit), policy_(std::move(policy)), note_(note) {}

  std::vector<Step> steps();
  DemoResult& result() { return result_; }
  // Completes what is still open (but not an operation already marked Stalled).
  void wind_down();

 private:
  void say(const std::string& text) const {
    if (note_) note_(text);
  }
  void nightly_import(std::vector<Step>& steps);
  void webhook(std::vector<Step>& steps, int n);
  void stalling_report(std::vector<Step>& steps);
  void canceled_export(std::vector<Step>& steps);
  void scan_for_stalls();
  std::vector<OperationId> own_ids() const;

  platform::ObservedTracker& ops_;
  platform::AuditEventWriter& audit_;
  platform::StallPolicy policy_;
  const std::function<void(const std::string&)>& note_;
  DemoResult result_{};
  CorrelationContext nightly_{};
  std::string run_tag_;  // makes this run's webhook ids differ from an earlier run's
};

void Scenario::nightly_import(std::vector<Step>& steps) {
  DemoResult& r = result_;
  steps.push_back({0.0, [this, &r] {
                     nightly_ = new_correlation();
                     StartOptions o;
                     o.correlation = nightly_;
                     o.tags = {{"tenant", "acme"}, {"source", "sftp"}};
                     r.import_id = ops_.start("Nightly.Import", o).id;
                     run_tag_ = r.import_id.value().substr(r.import_id.value().size() - 6);
                     say("Nightly.Import started (" + r.import_id.value() + ")");
                   }});
  steps.push_back({0.01, [this, &r] {
                     ops_.update_progress(r.import_id, progress(0, "listing files on sftp://acme",
                                                                {0, kBatches, "batches"}));
                   }});
  steps.push_back({0.02, [this, &r] {
                     ops_.add_event(r.import_id, "files.listed", "4 files, 1000 rows",
                                    R"({"files":["customers-1.csv","customers-2.csv",)"
                                    R"("customers-3.csv","customers-4.csv"]})");
                   }});
  r.batch_ids.resize(kBatches);
  for (int k = 0; k < kBatches; ++k) {
    const double base = 0.04 + 0.2 * k;
    const std::string file = "customers-" + std::to_string(k + 1) + ".csv";
    steps.push_back({base, [this, &r, k, file] {
                       StartOptions o;
                       o.parent_id = r.import_id;
                       o.correlation = nightly_;
                       o.tags = {{"tenant", "acme"}, {"file", file}};
                       r.batch_ids[k] = ops_.start("Import.Batch", o).id;
                     }});
    for (int i = 1; i <= kBatchTicks; ++i) {
      steps.push_back({base + 0.02 * i, [this, &r, k, i] {
                         const int rows = kRowsPerBatch * i / kBatchTicks;
                         ops_.update_progress(r.batch_ids[k],
                                              progress(100.0 * i / kBatchTicks,
                                                       "row " + std::to_string(rows) + " of 250",
                                                       {rows, kRowsPerBatch, "rows"}));
                       }});
    }
    steps.push_back({base + 0.17, [this, &r, k] {
                       ops_.complete(r.batch_ids[k], OperationStatus::Succeeded,
                                     "250 rows imported");
                     }});
    steps.push_back({base + 0.18, [this, &r, k] {
                       ops_.update_progress(
                           r.import_id,
                           progress(25.0 * (k + 1), "batch " + std::to_string(k + 1) + " of 4 done",
                                    {k + 1, kBatches, "batches"}));
                     }});
  }
  steps.push_back({0.86, [this, &r] {
                     ops_.add_event(r.import_id, "summary", "1000 rows imported, 3 rejected",
                                    R"({"rows":1000,"rejected":3})");
                   }});
  steps.push_back({0.88, [this, &r] {
                     ops_.complete(r.import_id, OperationStatus::Succeeded,
                                   "1000 rows in 4 batches");
                     say("Nightly.Import succeeded: 1000 rows in 4 batches");
                   }});
}

void Scenario::webhook(std::vector<Step>& steps, int n) {
  DemoResult& r = result_;
  const double arrival = 0.06 + 0.1 * n;
  const std::string invoice = "in_" + std::to_string(1001 + n);
  steps.push_back({arrival, [this, &r, n, invoice] {
                     const std::string event_id = "evt_" + run_tag_ + "_" + std::to_string(n + 1);
                     StartOptions o;
                     o.id = OperationId::parse("webhook-" + event_id);
                     o.correlation = new_correlation();
                     o.tags = {{"provider", "stripe"}, {"webhookEventId", event_id}};
                     const OperationSnapshot op = ops_.start("Webhook.Process", o);
                     r.webhook_ids.push_back(op.id);
                     platform::AuditEvent received;
                     received.name = "webhook.received";
                     received.display_message = "Stripe invoice.paid for " + invoice;
                     received.outcome = platform::EventOutcome::Info;
                     received.anchors = {{"Operation", op.id.value(), "Subject"},
                                         {"WebhookEvent", event_id, "Source"}};
                     received.data_json = nlohmann::json{{"type", "invoice.paid"}}.dump();
                     received.correlation = o.correlation;
                     audit_.write(received);
                   }});
  steps.push_back({arrival + 0.005, [this, &r, n] {
                     ops_.update_progress(r.webhook_ids.at(n),
                                          ProgressUpdate{.message = "verifying signature"});
                   }});
  steps.push_back({arrival + 0.012, [this, &r, n, invoice] {
                     ops_.add_event(
                         r.webhook_ids.at(n), "payload.parsed", "invoice.paid " + invoice,
                         nlohmann::json{{"invoice", invoice}, {"amount", 1200 + 100 * n}}.dump());
                   }});
  if (n == kRedeliveredWebhook) {
    steps.push_back({arrival + 0.015, [this, &r, n] {
                       // The provider retried: the caller-chosen id finds the first delivery.
                       StartOptions o;
                       o.id = r.webhook_ids.at(n);
                       const OperationSnapshot again = ops_.start("Webhook.Process", o);
                       ops_.add_event(again.id, "webhook.redelivered",
                                      "provider retried; handled by the first delivery");
                       say("webhook " + again.id.value() + " redelivered: same operation");
                     }});
  }
  if (n == kFailingWebhook) {
    steps.push_back({arrival + 0.02, [this, &r, n] {
                       r.failed_id = r.webhook_ids.at(n);
                       platform::record_failure(
                           ops_, r.failed_id,
                           "signature verification failed: no v1 signature in the "
                           "Stripe-Signature header matches the endpoint secret");
                       say("webhook " + r.failed_id.value() + " failed: bad signature");
                     }});
  } else {
    steps.push_back({arrival + 0.025, [this, &r, n, invoice] {
                       ops_.complete(r.webhook_ids.at(n), OperationStatus::Succeeded,
                                     invoice + " marked paid");
                     }});
  }
}

void Scenario::stalling_report(std::vector<Step>& steps) {
  DemoResult& r = result_;
  steps.push_back({0.10, [this, &r] {
                     StartOptions o;
                     o.tags = {{"tenant", "acme"}, {"report", "monthly-revenue"}};
                     r.stalled_id = ops_.start("Report.Generate", o).id;
                   }});
  steps.push_back(
      {0.12, [this, &r] {
         ops_.update_progress(r.stalled_id, progress(10, "querying ledger", {1, 10, "steps"}));
       }});
  steps.push_back({0.15, [this, &r] {
                     ops_.update_progress(r.stalled_id,
                                          progress(30, "aggregating 12 months", {3, 10, "steps"}));
                     // ...and nothing more: the worker is stuck. The monitor notices.
                   }});
}

void Scenario::canceled_export(std::vector<Step>& steps) {
  DemoResult& r = result_;
  steps.push_back({0.30, [this, &r] {
                     StartOptions o;
                     o.tags = {{"tenant", "globex"}, {"format", "csv"}};
                     r.canceled_id = ops_.start("Export.Customers", o).id;
                   }});
  for (int i = 0; i < 5; ++i) {
    steps.push_back({0.32 + 0.04 * i, [this, &r, i] {
                       const int rows = (i + 1) * 2000;
                       ops_.update_progress(
                           r.canceled_id,
                           progress(10.0 * (i + 1), "exported " + std::to_string(rows) + " rows",
                                    {rows, 20000, "rows"}));
                     }});
  }
  steps.push_back({0.50, [this, &r] {
                     ops_.request_cancel(r.canceled_id,
                                         "requested by operator: wrong tenant selected");
                     say("cancel requested for Export.Customers (" + r.canceled_id.value() + ")");
                   }});
  steps.push_back(
      {0.52, [this, &r] {
         // The worker learns of the request from its next progress report.
         const OperationSnapshot seen = ops_.update_progress(
             r.canceled_id, progress(60, "exported 12000 rows", {12000, 20000, "rows"}));
         if (!seen.cancel_requested()) return;
         ops_.add_event(r.canceled_id, "cleanup", "removed partial file export-globex.csv");
         ops_.complete(r.canceled_id, OperationStatus::Canceled, "stopped at 60% on request");
         say("Export.Customers canceled at 60%");
       }});
}

std::vector<Step> Scenario::steps() {
  std::vector<Step> steps;
  nightly_import(steps);
  for (int n = 0; n < kWebhooks; ++n) webhook(steps, n);
  stalling_report(steps);
  canceled_export(steps);
  for (int k = 1; k < 20; ++k) steps.push_back({0.05 * k, [this] { scan_for_stalls(); }});
  steps.push_back({1.0, [] {}});  // the run lasts its full length
  // Stable: steps at one instant keep the order they were written in.
  std::stable_sort(steps.begin(), steps.end(),
                   [](const Step& a, const Step& b) { return a.at < b.at; });
  return steps;
}

std::vector<OperationId> Scenario::own_ids() const {
  std::vector<OperationId> ids = result_.batch_ids;
  ids.insert(ids.end(), result_.webhook_ids.begin(), result_.webhook_ids.end());
  for (const OperationId& id : {result_.import_id, result_.stalled_id, result_.canceled_id}) {
    ids.push_back(id);
  }
  std::erase_if(ids, [](const OperationId& id) { return id.empty(); });
  return ids;
}

// A stall monitor's pass (StallMonitor::scan_once) restricted to this run's
// operations: the store may hold real work, which a policy scaled to a demo of
// seconds must never mark. Marks with the monitor's conditional variant.
void Scenario::scan_for_stalls() {
  const platform::Timestamp now = std::chrono::system_clock::now();
  for (const OperationId& id : own_ids()) {
    const auto s = ops_.get_snapshot(id);
    if (!s || (s->status != OperationStatus::Pending && s->status != OperationStatus::Running)) {
      continue;
    }
    const platform::StaleCondition still_stale{platform::ActivityBasis::Activity,
                                               now - policy_.threshold_for(s->name)};
    if (!platform::is_stale(*s, still_stale)) continue;
    if (ops_.mark_stalled(id, still_stale)) {
      say(s->name + " marked Stalled: no activity for " + format_duration(now - s->updated_at));
    }
  }
}

void Scenario::wind_down() {
  for (const OperationId& id : own_ids()) {
    const auto snapshot = ops_.get_snapshot(id);
    if (!snapshot || snapshot->terminal() || snapshot->status == OperationStatus::Stalled) continue;
    ops_.complete(id, OperationStatus::Canceled, "demo interrupted");
  }
}

}  // namespace

DemoWorkload::DemoWorkload(platform::OperationTracker& tracker, platform::OperationWatcher& watcher,
                           platform::AuditEventWriter& audit, DemoOptions options)
    : tracker_(tracker), watcher_(watcher), audit_(audit), options_(std::move(options)) {
  if (options_.duration < 1s || options_.duration > 24h) {
    throw platform::ValidationError("duration", "must be from 1s to 24h");
  }
}

DemoResult DemoWorkload::run(std::stop_token stop) {
  const auto d = options_.duration;
  const auto scaled = [&](double fraction) {
    return std::chrono::duration_cast<Duration>(d * fraction);
  };
  platform::PlatformEventEmitter emitter(audit_);
  platform::ObservedTracker ops(tracker_, watcher_, &emitter, nullptr);

  // Thresholds scaled to the run, so the stuck report is noticed within it while
  // healthy work, which reports far more often, never is.
  platform::StallPolicy policy;
  policy.default_threshold = scaled(1.0);
  policy.thresholds = {{"Webhook.", scaled(0.1)}, {"Report.", scaled(0.15)}};

  Scenario scenario(ops, audit_, std::move(policy), options_.on_note);
  const auto start = std::chrono::steady_clock::now();
  for (const Step& step : scenario.steps()) {
    const auto due =
        start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(d * step.at);
    if (!sleep_until(due, stop)) {
      scenario.result().interrupted = true;
      scenario.wind_down();
      break;
    }
    step.run();
  }
  return scenario.result();
}

}  // namespace incursa::platform::tools
