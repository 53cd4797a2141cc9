// Audit events and timelines (contract §5, §6), on every store.
#include <algorithm>

#include "incursa/platform/audit/audit_log.hpp"
#include "incursa/platform/error.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;
using namespace std::chrono_literals;

AuditEvent make_event(std::string name, std::vector<EventAnchor> anchors) {
  AuditEvent e;
  e.name = std::move(name);
  e.display_message = "something happened";
  e.outcome = EventOutcome::Success;
  e.anchors = std::move(anchors);
  return e;
}

TEST_P(StoreConformance, AuditEventsRoundTripWithEveryField) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  AuditEvent e =
      make_event("invoice.paid", {{"Invoice", "in_1", "Subject"}, {"Customer", "cus_9", "Owner"}});
  e.data_json = R"({"amount":1200,"currency":"EUR"})";
  e.actor = AuditActor{"User", "u-7", "Ada Lovelace"};
  CorrelationContext c;
  c.correlation_id = CorrelationId::parse("corr-audit");
  c.created_at = clock->now() - 1s;
  c.tags = {{"tenant", "acme"}};
  e.correlation = c;
  const AuditEvent stored = log.write(e);
  EXPECT_EQ(stored.id.value().size(), 32u);
  EXPECT_EQ(stored.occurred_at, clock->now());
  const auto found = log.query({.anchors = {{"Invoice", "in_1", ""}}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], stored);
}

TEST_P(StoreConformance, AuditWriteTrimsAnchorsAndKeepsCallerIdAndTime) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  AuditEvent e = make_event("  webhook.received ", {{" Operation ", " op-1 ", " Subject "}});
  e.id = AuditEventId::parse("evt-fixed");
  e.occurred_at = clock->now() - 1h;
  const AuditEvent stored = log.write(e);
  EXPECT_EQ(stored.id.value(), "evt-fixed");
  EXPECT_EQ(stored.occurred_at, clock->now() - 1h);
  EXPECT_EQ(stored.name, "webhook.received");
  EXPECT_EQ(stored.anchors.at(0), (EventAnchor{"Operation", "op-1", "Subject"}));
  EXPECT_EQ(log.query({.anchors = {{"Operation", "op-1", "Subject"}}}).size(), 1u);
}

TEST_P(StoreConformance, AuditDuplicateIdIsConflictAndKeepsTheFirst) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  AuditEvent e = make_event("a.b", {{"T", "1", "R"}});
  e.id = AuditEventId::parse("dup");
  log.write(e);
  e.display_message = "second";
  EXPECT_THROW(log.write(e), ConflictError);
  const auto all = log.query({});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].display_message, "something happened");
}

TEST_P(StoreConformance, InvalidAuditEventReportsEveryErrorInOrderAndWritesNothing) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  AuditEvent e;
  e.name = " ";
  e.display_message = "";
  e.data_json = "\"" + std::string(16384, 'x') + "\"";  // 16386 characters
  try {
    log.write(e);
    FAIL() << "expected AuditValidationError";
  } catch (const AuditValidationError& error) {
    ASSERT_GE(error.errors().size(), 4u);
    EXPECT_EQ(error.errors()[0], "Event name is required.");
    EXPECT_EQ(error.errors()[1], "Display message is required.");
    EXPECT_EQ(error.errors()[2], "At least one anchor is required.");
    EXPECT_EQ(error.errors()[3], "DataJson exceeds maximum length of 16384 characters.");
    EXPECT_EQ(error.field(), "audit_event");
  }
  AuditEvent bad_anchor = make_event("a.b", {{"Invoice", " ", "Subject"}});
  EXPECT_THROW(log.write(bad_anchor), ValidationError);
  AuditEvent bad_name = make_event("Invoice.Paid", {{"Invoice", "1", "Subject"}});
  EXPECT_THROW(log.write(bad_name), ValidationError);
  AuditEvent bad_json = make_event("a.b", {{"Invoice", "1", "Subject"}});
  bad_json.data_json = "{nope";
  EXPECT_THROW(log.write(bad_json), ValidationError);
  EXPECT_TRUE(log.query({}).empty());
}

// What PostgreSQL cannot store is refused on every store alike, field by field.
TEST_P(StoreConformance, AuditTextWithNulAndBlankDataAreRejectedOnEveryStore) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  const std::string nul("a\0b", 3);
  const auto rejected = [&](const char* label, AuditEvent e, const std::string& expected) {
    SCOPED_TRACE(label);
    try {
      log.write(e);
      ADD_FAILURE() << "expected AuditValidationError";
    } catch (const AuditValidationError& error) {
      EXPECT_NE(std::find(error.errors().begin(), error.errors().end(), expected),
                error.errors().end())
          << error.what();
    }
  };
  const AuditEvent good = make_event("a.b", {{"Invoice", "1", "Subject"}});
  AuditEvent e = good;
  e.display_message = "text " + nul;
  rejected("display message", e, "Display message must not contain NUL characters.");
  e = good;
  e.anchors[0].id = nul;
  rejected("anchor id", e, "Anchor 1 fields must be at most 256 characters of text.");
  e = good;
  e.data_json = R"({"a":"\u0000"})";
  rejected("data \\u0000", e, "DataJson must not contain the escape \\u0000 (NUL).");
  e = good;
  e.data_json = std::string("\"\0\"", 3);
  rejected("data raw NUL", e, "DataJson must be valid JSON.");
  e = good;
  e.data_json = "  ";
  rejected("data blank", e, "DataJson must be valid JSON.");
  for (const auto field : {&AuditActor::type, &AuditActor::id}) {
    e = good;
    e.actor = AuditActor{"User", "u-1", std::nullopt};
    (*e.actor).*field = nul;
    rejected("actor type or id", e, "Actor fields must be at most 256 characters of text.");
  }
  e = good;
  e.actor = AuditActor{"User", "u-1", nul};
  rejected("actor display", e, "Actor fields must be at most 256 characters of text.");
  e = good;
  CorrelationContext c;
  c.correlation_id = CorrelationId::parse("c-1");
  c.tags = {{"k", nul}};
  e.correlation = c;
  EXPECT_THROW(log.write(e), ValidationError);
  EXPECT_TRUE(log.query({}).empty());
}

TEST_P(StoreConformance, AuditQueryFiltersNewestFirst) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  const Timestamp t0 = clock->now();
  log.write(make_event("invoice.created", {{"Invoice", "in_1", "Subject"}}));
  clock->advance(1min);
  log.write(make_event("invoice.paid", {{"Invoice", "in_1", "Subject"}}));
  clock->advance(1min);
  log.write(make_event("invoice.paid", {{"Invoice", "in_2", "Subject"}}));
  clock->advance(1min);
  log.write(
      make_event("email.sent", {{"Customer", "cus_1", "Recipient"}, {"Invoice", "in_2", "About"}}));
  const auto names = [](const std::vector<AuditEvent>& v) {
    std::vector<std::string> out;
    for (const auto& e : v) out.push_back(e.name + "/" + e.anchors.at(0).id);
    return out;
  };
  EXPECT_EQ(names(log.query({})),
            (std::vector<std::string>{"email.sent/cus_1", "invoice.paid/in_2", "invoice.paid/in_1",
                                      "invoice.created/in_1"}));
  EXPECT_EQ(names(log.query({.anchors = {{"Invoice", "in_2", ""}}})),
            (std::vector<std::string>{"email.sent/cus_1", "invoice.paid/in_2"}));
  EXPECT_EQ(names(log.query({.anchors = {{"Invoice", "in_2", "About"}}})),
            (std::vector<std::string>{"email.sent/cus_1"}));
  EXPECT_EQ(log.query({.anchors = {{"Invoice", "in_1", ""}, {"Customer", "cus_1", ""}}}).size(),
            3u);
  EXPECT_EQ(names(log.query({.name = "invoice.*"})).size(), 3u);
  EXPECT_EQ(names(log.query({.name = "invoice.paid"})).size(), 2u);
  EXPECT_EQ(names(log.query({.name = "invoice"})).size(), 0u);
  EXPECT_EQ(names(log.query({.from = t0 + 1min, .to = t0 + 3min})),
            (std::vector<std::string>{"invoice.paid/in_2", "invoice.paid/in_1"}));
  EXPECT_EQ(log.query({.limit = 2}).size(), 2u);
  EXPECT_THROW(log.query({.limit = 0}), ValidationError);
  // Filters every store reads alike: no NUL or other control character.
  const std::string nul("in\0voice", 8);
  EXPECT_THROW(log.query({.name = nul}), ValidationError);
  EXPECT_THROW(log.query({.anchors = {{"Invoice", nul, ""}}}), ValidationError);
  EXPECT_THROW(log.query({.anchors = {{nul, "in_1", ""}}}), ValidationError);
}

CorrelationContext correlation_at(const char* id, Timestamp created_at) {
  CorrelationContext c;
  c.correlation_id = CorrelationId::parse(id);
  c.created_at = created_at;
  return c;
}

std::vector<std::string> entry_names(const Timeline& tl) {
  std::vector<std::string> got;
  for (const TimelineEntry& e : tl.entries) {
    if (e.event) got.push_back("event:" + e.event->message.value_or(e.event->kind));
    if (e.child) got.push_back("child:" + e.child->id.value());
    if (e.audit) got.push_back("audit:" + e.audit->name);
  }
  return got;
}

std::vector<std::string> ids_of(const std::vector<OperationSnapshot>& ops) {
  std::vector<std::string> ids;
  for (const OperationSnapshot& op : ops) ids.push_back(op.id.value());
  return ids;
}

TEST_P(StoreConformance, TimelineMergesEventsChildrenAndAnchoredAuditInTimeOrder) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  const CorrelationContext c = correlation_at("corr-tl", clock->now());
  const OperationId op = tracker->start("Webhook.Process", {.correlation = c}).id;  // t0
  clock->advance(1s);
  tracker->heartbeat(op);  // t1: Pending -> Running
  clock->advance(1s);
  const OperationId child = tracker->start("Webhook.Verify", {.parent_id = op}).id;  // t2
  clock->advance(1s);
  log.write(make_event("webhook.received", {{"Operation", op.value(), "Subject"}}));  // t3
  clock->advance(1s);
  log.write(make_event("signature.checked", {{"Operation", child.value(), "Subject"}}));  // t4
  AuditEvent correlated = make_event("invoice.paid", {{"Invoice", "in_1", "Subject"}});
  correlated.correlation = c;
  log.write(correlated);  // same correlation, anchored elsewhere: not this operation's history
  log.write(make_event("unrelated.thing", {{"Invoice", "in_2", "Subject"}}));
  clock->advance(1s);
  tracker->complete(op, S::Succeeded);  // t5: Running -> Succeeded

  const Timeline tl = tracker->timeline(op);
  EXPECT_EQ(tl.operation.status, S::Succeeded);
  EXPECT_EQ(entry_names(tl),
            (std::vector<std::string>{"event:Pending", "event:Pending -> Running",
                                      "child:" + child.value(), "audit:webhook.received",
                                      "audit:signature.checked", "event:Running -> Succeeded"}));
  for (std::size_t i = 1; i < tl.entries.size(); ++i) {
    EXPECT_LE(tl.entries[i - 1].at, tl.entries[i].at);
  }
  EXPECT_FALSE(tl.truncated.any());
  EXPECT_THROW(tracker->timeline(OperationId::parse("missing")), NotFoundError);
}

// The demo's nightly import: a batch's timeline is the batch's own history; its
// parent and siblings (one correlation id) are offered apart, never interleaved.
TEST_P(StoreConformance, ATimelineStaysOnItsOperationAndListsRelatedOperationsApart) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  const CorrelationContext c = correlation_at("corr-nightly", clock->now());
  const OperationId parent = tracker->start("Nightly.Import", {.correlation = c}).id;
  log.write(make_event("import.started", {{"Operation", parent.value(), "Subject"}}));
  std::vector<OperationId> batches;
  for (int i = 0; i < 4; ++i) {
    clock->advance(1s);
    batches.push_back(tracker->start("Import.Batch", {.correlation = c, .parent_id = parent}).id);
    log.write(make_event("batch.completed", {{"Operation", batches.back().value(), "Subject"}}));
  }
  clock->advance(1s);
  const OperationId elsewhere = tracker->start("Report.Build", {.correlation = c}).id;
  tracker->start("Other.Work");  // another correlation: never related

  const Timeline batch = tracker->timeline(batches[3]);
  EXPECT_EQ(entry_names(batch),
            (std::vector<std::string>{"event:Pending", "audit:batch.completed"}));
  EXPECT_EQ(ids_of(batch.related),
            (std::vector<std::string>{elsewhere.value(), batches[2].value(), batches[1].value(),
                                      batches[0].value(), parent.value()}));

  const Timeline whole = tracker->timeline(parent);
  std::vector<std::string> expected{"event:Pending", "audit:import.started"};
  for (const OperationId& b : batches) {
    expected.push_back("child:" + b.value());
    expected.emplace_back("audit:batch.completed");
  }
  EXPECT_EQ(entry_names(whole), expected);
  EXPECT_EQ(ids_of(whole.related), (std::vector<std::string>{elsewhere.value()}));
  EXPECT_FALSE(whole.truncated.any());
}

TEST_P(StoreConformance, ABoundedTimelineSaysWhatItLeftOutAndWhereEachPartResumes) {
  INCURSA_REQUIRE_CAPABILITY(audit);
  AuditLog log(audit_store(store), {.clock = clock});
  const CorrelationContext c = correlation_at("corr-big", clock->now());
  const OperationId parent = tracker->start("Nightly.Import", {.correlation = c}).id;
  for (int i = 0; i < 3; ++i) tracker->add_event(parent, "note");  // events 2..4
  std::vector<OperationId> kids;
  for (int i = 0; i < 3; ++i) {
    clock->advance(1s);
    kids.push_back(tracker->start("Import.Batch", {.correlation = c, .parent_id = parent}).id);
    log.write(make_event("batch.completed", {{"Operation", kids.back().value(), "Subject"}}));
  }
  for (int i = 0; i < 3; ++i) tracker->start("Report.Build", {.correlation = c});

  const Timeline tl =
      tracker->timeline(parent, {.events = 2, .children = 2, .audit = 1, .related = 2});
  EXPECT_EQ(tl.truncated.events_after, 2);
  EXPECT_EQ(tracker->events(parent, *tl.truncated.events_after).size(), 2U);
  ASSERT_TRUE(tl.truncated.children_page_token.has_value());
  const OperationPage rest = tracker->children(parent, 10, tl.truncated.children_page_token);
  EXPECT_EQ(ids_of(rest.operations), (std::vector<std::string>{kids[2].value()}));
  // The newest audit event of the two children shown is in; the older one is not.
  ASSERT_TRUE(tl.truncated.audit_before.has_value());
  AuditQuery older{
      .anchors = {{"Operation", kids[0].value(), ""}, {"Operation", kids[1].value(), ""}},
      .before = tl.truncated.audit_before};
  EXPECT_EQ(log.query(older).size(), 1U);
  EXPECT_EQ(tl.related.size(), 2U);
  EXPECT_TRUE(tl.truncated.related);
  EXPECT_TRUE(tl.truncated.any());
  EXPECT_THROW(tracker->timeline(parent, {.children = 0}), ValidationError);
  EXPECT_THROW(tracker->timeline(parent, {.events = 10001}), ValidationError);
}

}  // namespace
}  // namespace incursa::platform::testing
