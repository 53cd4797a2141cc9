// What moving a store's contents to another store needs (opsctl export/import),
// on every store: restore() writes an operation exactly as given, and the audit
// keyset cursor (AuditQuery::before) pages through every event exactly once.
#include <set>

#include "incursa/platform/audit/audit_log.hpp"
#include "incursa/platform/error.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;
using namespace std::chrono_literals;

// An operation with every optional field set, as an import would carry it.
OperationSnapshot full_snapshot(Timestamp t0, std::string_view id, S status) {
  OperationSnapshot s{.id = OperationId::parse(id), .name = "Import.Nightly-Run_2"};
  s.status = status;
  s.started_at = t0 + 17us;
  s.updated_at = t0 + 5min + 123456us;
  s.last_progress_at = t0 + 4min + 999999us;
  if (is_terminal(status)) s.completed_at = s.updated_at;
  s.percent = 62.5;
  s.message = "batch 5 of 8";
  s.progress = StructuredProgress{625, 1000, "rows"};
  CorrelationContext c;
  c.correlation_id = CorrelationId::parse("corr-restore");
  c.causation_id = CorrelationId::parse("cause-1");
  c.trace_id = "0af7651916cd43dd8448eb211c80319c";
  c.span_id = "b7ad6b7169203331";
  c.created_at = t0 - 1s;
  c.tags = {{"origin", "sftp"}};
  s.correlation = c;
  s.parent_id = OperationId::parse("parent-op");
  s.tags = {{"tenant", "acme"}, {"region", "eu-1"}};
  s.cancel_requested_at = t0 + 3min;
  s.cancel_reason = "operator asked";
  s.stall_count = 2;
  s.version = 9;
  return s;
}

// Events with a gap in their sequence (retention removed some) and every field set.
std::vector<OperationEvent> full_events(const OperationSnapshot& s) {
  const auto event = [&](std::int64_t seq, std::string kind, std::optional<std::string> message,
                         std::optional<std::string> data, Timestamp at) {
    return OperationEvent{.operation_id = s.id,
                          .sequence = seq,
                          .occurred_at = at,
                          .kind = std::move(kind),
                          .message = std::move(message),
                          .data_json = std::move(data),
                          .key = "key-" + std::to_string(seq)};
  };
  return {event(3, "status", "Pending -> Running", R"({"from":"Pending","to":"Running"})",
                s.started_at + 1s),
          event(4, "batch.done", std::nullopt, R"({"rows": 125, "big": 12345678901234567890})",
                s.started_at + 2s),
          event(9, "cancel_requested", "operator asked", std::nullopt, s.started_at + 3min)};
}

TEST_P(StoreConformance, RestoreWritesEveryFieldAndEventExactly) {
  INCURSA_REQUIRE_CAPABILITY(transfer);
  const OperationSnapshot s = full_snapshot(clock->now(), "restored-1", S::Failed);
  const std::vector<OperationEvent> events = full_events(s);
  ASSERT_TRUE(transfer->restore(s, events));
  EXPECT_EQ(store->get(s.id), s);
  EXPECT_EQ(store->events(s.id, 0, 100), events);
  EXPECT_EQ(store->events(s.id, 3, 100), (std::vector<OperationEvent>{events[1], events[2]}));
}

TEST_P(StoreConformance, RestoredOperationIsFoundByEveryFilter) {
  INCURSA_REQUIRE_CAPABILITY(transfer);
  const OperationSnapshot s = full_snapshot(clock->now(), "restored-2", S::Succeeded);
  ASSERT_TRUE(transfer->restore(s, full_events(s)));
  OperationFilter by_tag;
  by_tag.tags = {{"region", "eu-1"}};
  OperationFilter by_correlation;
  by_correlation.correlation_id = CorrelationId::parse("corr-restore");
  OperationFilter by_parent;
  by_parent.parent_id = OperationId::parse("parent-op");
  OperationFilter by_status;
  by_status.statuses = {S::Succeeded};
  for (const OperationFilter& f : {by_tag, by_correlation, by_parent, by_status}) {
    const auto page = tracker->list({.filter = f});
    ASSERT_EQ(page.operations.size(), 1u);
    EXPECT_EQ(page.operations[0], s);
  }
  EXPECT_EQ(tracker->count_by_status(by_tag), (StatusCounts{{S::Succeeded, 1}}));
}

TEST_P(StoreConformance, RestoredOperationContinuesAfterItsLastSequenceAndVersion) {
  INCURSA_REQUIRE_CAPABILITY(transfer);
  const OperationSnapshot s = full_snapshot(clock->now(), "restored-3", S::Running);
  ASSERT_TRUE(transfer->restore(s, full_events(s)));
  const OperationEvent late = tracker->add_event(s.id, "late.evidence");
  EXPECT_EQ(late.sequence, 10);
  const OperationSnapshot done = tracker->complete(s.id, S::Succeeded);
  EXPECT_EQ(done.version, 11);
  const auto events = store->events(s.id, 9, 100);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].sequence, 11);
  EXPECT_EQ(events[1].message, "Running -> Succeeded");
}

TEST_P(StoreConformance, RestoreWithoutEventsKeepsTheOperation) {
  INCURSA_REQUIRE_CAPABILITY(transfer);
  // Event retention may have removed every event of a finished operation.
  const OperationSnapshot s = full_snapshot(clock->now(), "restored-4", S::Canceled);
  ASSERT_TRUE(transfer->restore(s, {}));
  EXPECT_EQ(store->get(s.id), s);
  EXPECT_TRUE(store->events(s.id, 0, 100).empty());
  EXPECT_EQ(tracker->add_event(s.id, "late.evidence").sequence, 1);
}

TEST_P(StoreConformance, RestoreOfAnExistingIdReturnsFalseAndWritesNothing) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  INCURSA_REQUIRE_CAPABILITY(transfer);
  const OperationId id = start_in(S::Running);
  const Recorded before = record(id);
  OperationSnapshot other = full_snapshot(clock->now(), id.value(), S::Succeeded);
  other.name = "Other.Name";
  EXPECT_FALSE(transfer->restore(other, full_events(other)));
  EXPECT_EQ(record(id), before);

  const OperationSnapshot s = full_snapshot(clock->now(), "restored-5", S::Failed);
  ASSERT_TRUE(transfer->restore(s, full_events(s)));
  const Recorded restored = record(s.id);
  EXPECT_FALSE(transfer->restore(s, full_events(s)));
  EXPECT_EQ(record(s.id), restored);
}

TEST_P(StoreConformance, RestoreBatchWritesTheFreeIdsAndSkipsTheTakenOnes) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  INCURSA_REQUIRE_CAPABILITY(transfer);
  const OperationId held = start_in(S::Running);
  const Recorded before = record(held);
  std::vector<RestoreRecord> batch;
  for (const char* id : {"batch-1", "", "batch-2", "batch-3"}) {
    const std::string chosen = *id == '\0' ? held.value() : std::string(id);
    OperationSnapshot s = full_snapshot(clock->now(), chosen, S::Succeeded);
    s.tags = {{"tenant", chosen}};
    batch.push_back({s, chosen == "batch-2" ? std::vector<OperationEvent>{} : full_events(s)});
  }
  EXPECT_EQ(transfer->restore_batch(batch), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(record(held), before);
  for (std::size_t i : {0u, 2u, 3u}) {
    const RestoreRecord& r = batch[i];
    EXPECT_EQ(store->get(r.operation.id), r.operation);
    EXPECT_EQ(store->events(r.operation.id, 0, 100), r.events);
    OperationFilter by_tag;
    by_tag.tags = r.operation.tags;
    EXPECT_EQ(tracker->list({.filter = by_tag}).operations,
              std::vector<OperationSnapshot>{r.operation});
  }
  // The batch again: every id is taken now, and nothing changes.
  const Recorded restored = record(batch[3].operation.id);
  EXPECT_EQ(transfer->restore_batch(batch), (std::vector<bool>(4, false)));
  EXPECT_EQ(record(batch[3].operation.id), restored);
  EXPECT_TRUE(transfer->restore_batch({}).empty());
}

TEST_P(StoreConformance, TakenNamesTheHeldIdsInTheOrderGiven) {
  INCURSA_REQUIRE_CAPABILITY(transfer);
  const OperationId a = start_in(S::Running);
  const OperationId b = start_in(S::Succeeded);
  const OperationSnapshot restored = full_snapshot(clock->now(), "restored-6", S::Failed);
  ASSERT_TRUE(transfer->restore(restored, {}));
  const std::vector<OperationId> asked = {OperationId::parse("free-1"), b, restored.id,
                                          OperationId::parse("free-2"), a};
  EXPECT_EQ(transfer->taken(asked), (std::vector<OperationId>{b, restored.id, a}));
  EXPECT_TRUE(transfer->taken({}).empty());
}

AuditEvent audit_event(std::string id, Timestamp at, std::string name) {
  AuditEvent e;
  e.id = AuditEventId::parse(id);
  e.occurred_at = at;
  e.name = std::move(name);
  e.display_message = "event " + id;
  e.outcome = EventOutcome::Info;
  e.anchors = {{"Operation", "op-" + id, "Subject"}};
  return e;
}

// Pages through `query` with the keyset cursor, `page` events at a time.
std::vector<AuditEvent> page_through(AuditStore& audit, AuditQuery query, std::size_t page) {
  std::vector<AuditEvent> all;
  query.limit = page;
  for (int guard = 0; guard < 1000; ++guard) {
    const std::vector<AuditEvent> got = audit.query_audit_events(query);
    all.insert(all.end(), got.begin(), got.end());
    if (got.size() < page) return all;
    query.before = AuditCursor{got.back().occurred_at, got.back().id};
  }
  ADD_FAILURE() << "paging did not end: the cursor is ignored";
  return all;
}

TEST_P(StoreConformance, AuditCursorPagesThroughTiedTimesExactlyOnce) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  const Timestamp t0 = clock->now();
  // 23 events over 5 distinct times: most times are shared by several events,
  // so pages end in the middle of a tie.
  for (int i = 0; i < 23; ++i) {
    const char* name = i % 3 == 0 ? "invoice.paid" : "webhook.received";
    log.write(audit_event("evt-" + std::to_string(100 + i), t0 + (i % 5) * 1s, name));
  }
  const std::vector<AuditEvent> expected = audit->query_audit_events({.limit = 1000});
  ASSERT_EQ(expected.size(), 23u);
  for (std::size_t page : {1u, 2u, 4u, 5u, 7u, 23u, 50u}) {
    EXPECT_EQ(page_through(*audit, {}, page), expected) << "page size " << page;
  }

  // The cursor combines with the other filters.
  AuditQuery webhooks;
  webhooks.name = "webhook.*";
  const std::vector<AuditEvent> expected_webhooks =
      audit->query_audit_events({.name = "webhook.*", .limit = 1000});
  ASSERT_EQ(expected_webhooks.size(), 15u);
  EXPECT_EQ(page_through(*audit, webhooks, 4), expected_webhooks);
  std::set<std::string> ids;
  for (const AuditEvent& e : page_through(*audit, webhooks, 3)) ids.insert(e.id.value());
  EXPECT_EQ(ids.size(), 15u);
}

TEST_P(StoreConformance, AuditCursorIsStrictlyBeforeItsOwnEvent) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  const Timestamp t = clock->now();
  log.write(audit_event("a", t, "x.y"));
  log.write(audit_event("b", t, "x.y"));
  log.write(audit_event("c", t, "x.y"));
  log.write(audit_event("d", t - 1us, "x.y"));
  const auto ids = [&](AuditCursor cursor) {
    std::vector<std::string> out;
    for (const auto& e : audit->query_audit_events({.limit = 100, .before = cursor})) {
      out.push_back(e.id.value());
    }
    return out;
  };
  EXPECT_EQ(ids({t, AuditEventId::parse("b")}), (std::vector<std::string>{"a", "d"}));
  EXPECT_EQ(ids({t, AuditEventId::parse("a")}), (std::vector<std::string>{"d"}));
  EXPECT_EQ(ids({t + 1us, AuditEventId::parse("a")}),
            (std::vector<std::string>{"c", "b", "a", "d"}));
  // A cursor time between two whole microseconds.
  EXPECT_EQ(ids({t - std::chrono::nanoseconds(500), AuditEventId::parse("zzz")}),
            (std::vector<std::string>{"d"}));
}

}  // namespace
}  // namespace incursa::platform::testing
