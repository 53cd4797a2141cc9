// Stall policies and the monitor, retention and archiving (contract §4, §8), on every store.
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <ios>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "incursa/platform/audit/audit_log.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/observability/observed_tracker.hpp"
#include "incursa/platform/observability/platform_event_emitter.hpp"
#include "incursa/platform/operations/retention.hpp"
#include "incursa/platform/operations/stall_monitor.hpp"

#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;
using namespace std::chrono_literals;

class MemoryArchive final : public ArchiveSink {
 public:
  void write_line(std::string_view line) override { pending.emplace_back(line); }
  void flush() override {
    flushed.insert(flushed.end(), pending.begin(), pending.end());
    pending.clear();
  }
  std::vector<std::string> pending, flushed;
};

StallMonitorOptions policy_options() {
  StallMonitorOptions o;
  o.policy.default_threshold = 6h;
  o.policy.thresholds = {{"Webhook.", 30min}};
  return o;
}

TEST_P(StoreConformance, StallPolicyMarksExactlyWhatItShould) {
  const OperationId webhook_old = start("Webhook.Process");
  const OperationId batch_old = start("Batch.Import");
  tracker->heartbeat(batch_old);
  clock->advance(40min);
  const OperationId webhook_fresh = start("Webhook.Process");
  tracker->heartbeat(batch_old);  // batch active 40 min after start
  const OperationId done = start("Webhook.Done");
  tracker->complete(done, S::Succeeded);

  StallMonitor monitor(*tracker, *tracker, policy_options());
  StallScanResult r = monitor.scan_once();
  ASSERT_EQ(r.marked.size(), 1u);
  EXPECT_EQ(r.marked[0].id, webhook_old);
  EXPECT_EQ(tracker->get_snapshot(webhook_fresh)->status, S::Pending);
  EXPECT_EQ(tracker->get_snapshot(batch_old)->status, S::Running);

  clock->advance(6h + 1min);  // now the batch (default 6 h) and the second webhook are stale too
  r = monitor.scan_once();
  std::set<std::string> marked;
  for (const auto& op : r.marked) marked.insert(op.id.value());
  EXPECT_EQ(marked, (std::set<std::string>{webhook_fresh.value(), batch_old.value()}));
  EXPECT_EQ(tracker->get_snapshot(done)->status, S::Succeeded);
  EXPECT_TRUE(monitor.scan_once().marked.empty());  // already Stalled: not marked again
}

// A backlog larger than a batch is worked off batch after batch, without
// waiting the interval (an hour here) between them.
TEST_P(StoreConformance, AMonitorWorksOffABacklogBatchAfterBatch) {
  std::set<std::string> stale;
  for (int i = 0; i < 25; ++i) stale.insert(start("Backlog.Job").value());
  clock->advance(2h);
  StallMonitorOptions o;
  o.policy.default_threshold = 1h;
  o.interval = 1h;
  o.batch_limit = 10;
  std::mutex mutex;
  std::condition_variable scanned;
  std::set<std::string> marked;
  std::vector<bool> backlogs;
  o.on_scan = [&](const StallScanResult& r) {
    std::lock_guard lock(mutex);
    for (const auto& op : r.marked) marked.insert(op.id.value());
    backlogs.push_back(r.backlog);
    scanned.notify_all();
  };
  StallMonitor monitor(*tracker, *tracker, o);
  monitor.start();
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(scanned.wait_for(lock, 60s, [&] { return backlogs.size() >= 3; }));
  }
  monitor.stop();
  EXPECT_EQ(marked, stale);
  EXPECT_EQ(backlogs, (std::vector<bool>{true, true, false}));
}

TEST_P(StoreConformance, LongestPrefixWinsInBothDirections) {
  StallMonitorOptions o;
  o.policy.default_threshold = 1h;
  o.policy.thresholds = {{"Webhook.", 30min}, {"Webhook.Slow", 4h}};
  const OperationId fast = start("Webhook.Process");
  const OperationId slow = start("Webhook.SlowImport");
  const OperationId other = start("Email.Send");
  clock->advance(45min);
  StallMonitor monitor(*tracker, *tracker, o);
  auto r = monitor.scan_once();
  ASSERT_EQ(r.marked.size(), 1u);
  EXPECT_EQ(r.marked[0].id, fast);
  clock->advance(30min);  // 75 min: past the default, not past Webhook.Slow's 4 h
  r = monitor.scan_once();
  ASSERT_EQ(r.marked.size(), 1u);
  EXPECT_EQ(r.marked[0].id, other);
  EXPECT_EQ(tracker->get_snapshot(slow)->status, S::Pending);
}

TEST_P(StoreConformance, PendingLimitAndNoProgressThreshold) {
  StallMonitorOptions o;
  o.policy.default_threshold = 24h;
  o.policy.pending_limit = 10min;
  o.policy.no_progress_threshold = 1h;
  const OperationId waiting = start("Queue.Job");
  const OperationId spinning = start("Queue.Job");
  tracker->update_progress(spinning, {.percent = 1.0});
  const OperationId working = start("Queue.Job");
  for (int minute = 0; minute < 70; minute += 5) {
    clock->advance(5min);
    tracker->add_event(waiting, "still.queued");  // activity, but never started
    tracker->heartbeat(spinning);                 // alive, never advancing
    tracker->update_progress(working, {.percent = minute * 1.0});
  }
  StallMonitor monitor(*tracker, *tracker, o);
  std::set<std::string> marked;
  for (const auto& op : monitor.scan_once().marked) marked.insert(op.id.value());
  EXPECT_EQ(marked, (std::set<std::string>{waiting.value(), spinning.value()}));
  EXPECT_EQ(tracker->get_snapshot(working)->status, S::Running);
}

TEST_P(StoreConformance, MonitorFailsAfterNStallsAndEmitsAudit) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog audit(audit_store(store), {.clock = clock});
  PlatformEventEmitter emitter(audit);
  ObservedTracker observed(*tracker, *tracker, &emitter, nullptr);  // events come from here
  StallMonitorOptions o = policy_options();
  o.fail_after_stalls = 2;
  StallMonitor monitor(observed, observed, o);
  const OperationId id = start("Webhook.Flaky");
  clock->advance(31min);
  EXPECT_EQ(monitor.scan_once().marked.size(), 1u);
  tracker->heartbeat(id);  // resumes
  clock->advance(31min);
  const StallScanResult r = monitor.scan_once();
  ASSERT_EQ(r.failed.size(), 1u);
  const OperationSnapshot s = *tracker->get_snapshot(id);
  EXPECT_EQ(s.status, S::Failed);
  EXPECT_EQ(s.stall_count, 2);
  EXPECT_EQ(s.message, "stalled 2 times");
  // The second stall and the failure happen in one scan, at one instant: compare as a set.
  std::multiset<std::string> names;
  for (const auto& e : audit.query({.anchors = {{"Operation", id.value(), ""}}})) {
    names.insert(e.name);
  }
  EXPECT_EQ(names, (std::multiset<std::string>{"operation.failed", "operation.stalled",
                                               "operation.stalled"}));
}

TEST_P(StoreConformance, FindStalledHonoursNamePrefixFilters) {
  start("Webhook.A");
  start("Webhook.Slow.B");
  start("Other.C");
  clock->advance(1h);
  const auto names = [&](StallQuery q) {
    std::set<std::string> out;
    for (const auto& op : tracker->find_stalled(q)) out.insert(op.name);
    return out;
  };
  EXPECT_EQ(names({.threshold = 1min, .name_prefix = "Webhook."}),
            (std::set<std::string>{"Webhook.A", "Webhook.Slow.B"}));
  EXPECT_EQ(names({.threshold = 1min,
                   .name_prefix = "Webhook.",
                   .exclude_name_prefixes = {"Webhook.Slow"}}),
            (std::set<std::string>{"Webhook.A"}));
  EXPECT_EQ(names({.threshold = 1min, .exclude_name_prefixes = {"Webhook."}}),
            (std::set<std::string>{"Other.C"}));
  // Prefixes are literal: no wildcard or case folding.
  EXPECT_TRUE(names({.threshold = 1min, .name_prefix = "webhook."}).empty());
  EXPECT_TRUE(names({.threshold = 1min, .name_prefix = "Web%"}).empty());
  EXPECT_TRUE(names({.threshold = 1min, .name_prefix = "Webhook_"}).empty());
}

TEST_P(StoreConformance, PurgeRemovesOnlyOldTerminalOperationsAndArchivesEach) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  const OperationId old_ok = start_in(S::Succeeded);
  const OperationId old_failed = start_in(S::Failed);
  const OperationId old_open = start_in(S::Running);
  const OperationId old_stalled = start_in(S::Stalled);
  clock->advance(8 * 24h);
  const OperationId young_ok = start_in(S::Succeeded);

  MemoryArchive archive;
  const PurgeResult r =
      purge(*store, RetentionPolicy::keep_terminal_for(7 * 24h), *clock, &archive);
  EXPECT_EQ(r.operations_purged, 2u);
  EXPECT_FALSE(tracker->get_snapshot(old_ok).has_value());
  EXPECT_FALSE(tracker->get_snapshot(old_failed).has_value());
  EXPECT_TRUE(tracker->get_snapshot(old_open).has_value());
  EXPECT_TRUE(tracker->get_snapshot(old_stalled).has_value());
  EXPECT_TRUE(tracker->get_snapshot(young_ok).has_value());
  ASSERT_EQ(archive.flushed.size(), 2u);
  EXPECT_TRUE(archive.pending.empty());
  const auto line = nlohmann::json::parse(archive.flushed[0]);
  EXPECT_EQ(line["id"], old_ok.value());
  EXPECT_EQ(line["status"], "Succeeded");
  EXPECT_EQ(line["event_count"], 2);
  for (const char* key :
       {"name", "started_at", "completed_at", "duration_ms", "correlation_id", "tags"}) {
    EXPECT_TRUE(line.contains(key)) << key;
  }
  // The events outlive the snapshot as evidence.
  EXPECT_EQ(tracker->events(old_ok).size(), 2u);
  // Nothing more to purge.
  EXPECT_EQ(purge(*store, RetentionPolicy::keep_terminal_for(7 * 24h), *clock, &archive)
                .operations_purged,
            0u);
}

TEST_P(StoreConformance, PurgeKeepsPerStatusPeriodsAndEventsByTheirOwnAge) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  const OperationId ok = start_in(S::Succeeded);
  const OperationId failed = start_in(S::Failed);
  const OperationId open = start_in(S::Running);
  clock->advance(10 * 24h);
  tracker->add_event(failed, "late.evidence");  // young event on an old operation
  RetentionPolicy policy;
  policy.keep_succeeded = 7 * 24h;
  policy.keep_failed = 30 * 24h;  // failures kept longer
  policy.keep_events = 5 * 24h;
  const PurgeResult r = purge(*store, policy, *clock);
  EXPECT_EQ(r.operations_purged, 1u);
  EXPECT_FALSE(tracker->get_snapshot(ok).has_value());
  EXPECT_TRUE(tracker->get_snapshot(failed).has_value());
  // Events older than 5 days are gone for terminal/purged operations...
  EXPECT_TRUE(tracker->events(ok).empty());
  const auto failed_events = tracker->events(failed);
  ASSERT_EQ(failed_events.size(), 1u);
  EXPECT_EQ(failed_events[0].kind, "late.evidence");
  EXPECT_EQ(failed_events[0].sequence, 3);
  // ...but never for an open one.
  EXPECT_EQ(tracker->events(open).size(), 2u);
  EXPECT_EQ(r.events_purged, 4u);
}

TEST_P(StoreConformance, PurgeWorksInBoundedBatches) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  for (int i = 0; i < 5; ++i) start_in(S::Canceled);
  clock->advance(2h);
  RetentionPolicy policy = RetentionPolicy::keep_terminal_for(1h);
  policy.batch_size = 2;
  policy.max_batches = 2;
  MemoryArchive archive;
  PurgeResult r = purge(*store, policy, *clock, &archive);
  EXPECT_EQ(r.operations_purged, 4u);
  EXPECT_EQ(r.batches, 2u);
  EXPECT_FALSE(r.complete);
  r = purge(*store, policy, *clock, &archive);
  EXPECT_EQ(r.operations_purged, 1u);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(archive.flushed.size(), 5u);
  EXPECT_EQ(tracker->count_by_status().size(), 0u);
}

// A caller-chosen id (a webhook's delivery id) must not silently start afresh
// while the first operation's events are still kept as evidence.
TEST_P(StoreConformance, APurgedIdIsRefusedWhileItsEventsAreKept) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  INCURSA_REQUIRE_CAPABILITY(transfer);
  const OperationId id = OperationId::parse("evt_redelivered");
  tracker->start("Webhook.Process", {.id = id});
  tracker->update_progress(id, {.percent = 50.0});
  const Timestamp completed = clock->now();
  tracker->complete(id, S::Succeeded);
  const auto events_before = tracker->events(id);
  EXPECT_FALSE(retention->find_purged(id).has_value());  // not purged yet

  clock->advance(2h);
  EXPECT_EQ(purge(*store, RetentionPolicy::keep_terminal_for(1h), *clock).operations_purged, 1u);
  ASSERT_FALSE(tracker->get_snapshot(id).has_value());
  const PurgedOperation expected{id, "Webhook.Process", S::Succeeded, completed, clock->now()};
  EXPECT_EQ(retention->find_purged(id), expected);

  for (const char* name : {"Webhook.Process", "Other.Name"}) {
    SCOPED_TRACE(name);
    try {
      tracker->start(name, {.id = id});
      ADD_FAILURE() << "expected OperationPurgedError";
    } catch (const OperationPurgedError& e) {
      EXPECT_EQ(e.purged(), expected);
      EXPECT_NE(std::string(e.what()).find("purged"), std::string::npos) << e.what();
    }
    EXPECT_THROW(tracker->start(name, {.id = id}), ConflictError);  // the family callers catch
  }
  // Nothing was written: no operation, the kept history as it was.
  EXPECT_FALSE(tracker->get_snapshot(id).has_value());
  EXPECT_EQ(tracker->events(id), events_before);
  // An import cannot slip an operation under the id either.
  OperationSnapshot imported = *tracker->get_snapshot(start_in(S::Succeeded));
  imported.id = id;
  EXPECT_FALSE(transfer->restore(imported, {}));
  EXPECT_EQ(transfer->restore_batch(std::vector<RestoreRecord>{{imported, {}}}),
            std::vector<bool>{false});
  EXPECT_FALSE(tracker->get_snapshot(id).has_value());
  EXPECT_EQ(transfer->taken(std::vector<OperationId>{id}), std::vector<OperationId>{id});
}

TEST_P(StoreConformance, APurgedIdIsFreeAgainOnceItsLastEventIsGoneAndStartsItsOwnHistory) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  const OperationId id = OperationId::parse("evt_late");
  tracker->start("Webhook.Process", {.id = id});
  tracker->complete(id, S::Failed, "card declined");  // events 1, 2 at t0
  clock->advance(2h);
  tracker->add_event(id, "late.evidence");  // event 3 at t0 + 2h
  clock->advance(1h);

  RetentionPolicy policy = RetentionPolicy::keep_terminal_for(1h);
  policy.keep_events = 2h;  // events before t0 + 1h go: 1 and 2, not 3
  PurgeResult r = purge(*store, policy, *clock);
  EXPECT_EQ(r.operations_purged, 1u);
  EXPECT_EQ(r.events_purged, 2u);
  ASSERT_EQ(tracker->events(id).size(), 1u);
  ASSERT_TRUE(retention->find_purged(id).has_value());
  EXPECT_EQ(retention->find_purged(id)->status, S::Failed);
  EXPECT_THROW(tracker->start("Webhook.Process", {.id = id}), OperationPurgedError);

  clock->advance(2h);  // now event 3 is old enough too
  r = purge(*store, policy, *clock);
  EXPECT_EQ(r.events_purged, 1u);
  EXPECT_FALSE(retention->find_purged(id).has_value());
  const OperationSnapshot again = tracker->start("Webhook.Retry", {.id = id});
  EXPECT_EQ(again.name, "Webhook.Retry");
  EXPECT_EQ(again.status, S::Pending);
  EXPECT_EQ(again.version, 1);
  tracker->update_progress(id, {.percent = 10.0});
  const auto events = tracker->events(id);
  ASSERT_EQ(events.size(), 2u);  // its own history, numbered from 1
  EXPECT_EQ(events[0].sequence, 1);
  EXPECT_EQ(events[0].message, "Pending");
  EXPECT_EQ(events[1].sequence, 2);
  EXPECT_EQ(events[1].message, "Pending -> Running");
}

TEST_P(StoreConformance, AnOperationWhoseEventsWentFirstLeavesNoTombstone) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  const OperationId id = OperationId::parse("evt_quiet");
  tracker->start("Webhook.Process", {.id = id});
  tracker->complete(id, S::Canceled);
  clock->advance(2h);
  RetentionPolicy events_only;
  events_only.keep_events = 1h;
  EXPECT_EQ(purge(*store, events_only, *clock).events_purged, 2u);  // a finished one's events
  ASSERT_TRUE(tracker->get_snapshot(id).has_value());
  EXPECT_EQ(purge(*store, RetentionPolicy::keep_terminal_for(1h), *clock).operations_purged, 1u);
  EXPECT_FALSE(retention->find_purged(id).has_value());  // nothing left to guard
  EXPECT_EQ(tracker->start("Webhook.Process", {.id = id}).version, 1);
  EXPECT_EQ(tracker->events(id).size(), 1u);
}

TEST_P(StoreConformance, AFailingArchiveSinkIsAStoreErrorAndItsBatchIsNotPurged) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  class BrokenArchive final : public ArchiveSink {
   public:
    explicit BrokenArchive(bool on_flush) : on_flush_(on_flush) {}
    void write_line(std::string_view) override {
      if (!on_flush_) throw std::runtime_error("disk quota exceeded");
    }
    void flush() override { throw std::ios_base::failure("fsync failed"); }

   private:
    bool on_flush_;
  };
  const OperationId done = start_in(S::Succeeded);
  clock->advance(2h);
  for (bool on_flush : {false, true}) {
    BrokenArchive archive(on_flush);
    try {
      purge(*store, RetentionPolicy::keep_terminal_for(1h), *clock, &archive);
      ADD_FAILURE() << "expected StoreError";
    } catch (const StoreError& e) {
      EXPECT_FALSE(e.retryable());
      EXPECT_NE(std::string(e.what()).find(on_flush ? "fsync failed" : "disk quota exceeded"),
                std::string::npos)
          << e.what();
    }
    EXPECT_TRUE(tracker->get_snapshot(done).has_value());
  }
}

TEST_P(StoreConformance, BadRetentionPoliciesAreRejected) {
  INCURSA_REQUIRE_CAPABILITY(retention);
  RetentionPolicy p;
  p.keep_succeeded = -1h;
  EXPECT_THROW(purge(*store, p, *clock), ValidationError);
  p = {};
  p.batch_size = 0;
  EXPECT_THROW(purge(*store, p, *clock), ValidationError);
}

}  // namespace
}  // namespace incursa::platform::testing
