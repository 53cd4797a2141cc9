// list, count_by_status, children and page tokens (contract §5), on every store.
#include <algorithm>
#include <random>
#include <set>

#include "incursa/platform/error.hpp"
#include "store_conformance.hpp"

namespace incursa::platform::testing {
namespace {

using S = OperationStatus;
using namespace std::chrono_literals;

std::vector<std::string> ids_of(const std::vector<OperationSnapshot>& ops) {
  std::vector<std::string> out;
  for (const auto& op : ops) out.push_back(op.id.value());
  return out;
}

class QueryFixture {
 public:
  // A small, varied population: names, statuses, tags, correlation, parents, times.
  explicit QueryFixture(StoreConformance& t, Tracker& tracker, ManualClock& clock) {
    (void)t;
    const auto make = [&](const char* name, S status, Tags tags, const char* corr,
                          std::optional<OperationId> parent) {
      StartOptions o;
      o.tags = std::move(tags);
      o.parent_id = std::move(parent);
      if (corr) {
        CorrelationContext c;
        c.correlation_id = CorrelationId::parse(corr);
        c.created_at = clock.now();
        o.correlation = c;
      }
      const OperationId id = tracker.start(name, o).id;
      if (status == S::Running) tracker.heartbeat(id);
      if (is_terminal(status)) tracker.complete(id, status);
      clock.advance(1min);
      return id;
    };
    batch = make("Batch.Nightly", S::Running, {{"tenant", "acme"}}, "corr-a", std::nullopt);
    webhook_ok = make("Webhook.Process", S::Succeeded, {{"tenant", "acme"}, {"provider", "stripe"}},
                      "corr-a", batch);
    webhook_failed = make("Webhook.Process", S::Failed,
                          {{"tenant", "globex"}, {"provider", "stripe"}}, "corr-b", batch);
    webhook_pending =
        make("Webhook.Verify", S::Pending, {{"tenant", "acme"}}, nullptr, std::nullopt);
    invoice = make("Invoice.Generate", S::Canceled, {}, "corr-b", webhook_ok);
  }
  OperationId batch, webhook_ok, webhook_failed, webhook_pending, invoice;
};

TEST_P(StoreConformance, ListNewestFirstByDefaultAndOldestFirstOnRequest) {
  QueryFixture f(*this, *tracker, *clock);
  const auto newest = tracker->list({});
  EXPECT_EQ(
      ids_of(newest.operations),
      (std::vector<std::string>{f.invoice.value(), f.webhook_pending.value(),
                                f.webhook_failed.value(), f.webhook_ok.value(), f.batch.value()}));
  EXPECT_FALSE(newest.next_page_token.has_value());
  OperationQuery oldest;
  oldest.order = ListOrder::OldestFirst;
  EXPECT_EQ(tracker->list(oldest).operations.front().id, f.batch);
}

TEST_P(StoreConformance, ListEachFilterAlone) {
  QueryFixture f(*this, *tracker, *clock);
  const auto ids = [&](OperationFilter filter) {
    OperationQuery q;
    q.filter = std::move(filter);
    auto v = ids_of(tracker->list(q).operations);
    return std::set<std::string>(v.begin(), v.end());
  };
  const auto set = [](std::initializer_list<OperationId> l) {
    std::set<std::string> s;
    for (const auto& id : l) s.insert(id.value());
    return s;
  };
  EXPECT_EQ(ids({.statuses = StatusSet{S::Succeeded, S::Failed}}),
            set({f.webhook_ok, f.webhook_failed}));
  EXPECT_EQ(ids({.statuses = StatusSet::non_terminal()}), set({f.batch, f.webhook_pending}));
  EXPECT_EQ(ids({.name = "Webhook.Process"}), set({f.webhook_ok, f.webhook_failed}));
  EXPECT_EQ(ids({.name_prefix = "Webhook."}),
            set({f.webhook_ok, f.webhook_failed, f.webhook_pending}));
  EXPECT_EQ(ids({.name_prefix = "Web"}), set({f.webhook_ok, f.webhook_failed, f.webhook_pending}));
  EXPECT_EQ(ids({.name_prefix = "Nope"}), set({}));
  EXPECT_EQ(ids({.tags = {{"tenant", "acme"}}}), set({f.batch, f.webhook_ok, f.webhook_pending}));
  EXPECT_EQ(ids({.tags = {{"provider", "stripe"}}}), set({f.webhook_ok, f.webhook_failed}));
  EXPECT_EQ(ids({.tags = {{"tenant", "initech"}}}), set({}));
  EXPECT_EQ(ids({.correlation_id = CorrelationId::parse("corr-b")}),
            set({f.webhook_failed, f.invoice}));
  EXPECT_EQ(ids({.parent_id = f.batch}), set({f.webhook_ok, f.webhook_failed}));
  const Timestamp t0 = tracker->get_snapshot(f.batch)->started_at;
  EXPECT_EQ(ids({.started_from = t0 + 1min, .started_to = t0 + 3min}),
            set({f.webhook_ok, f.webhook_failed}));
  EXPECT_EQ(ids({.started_to = t0 + 1min}), set({f.batch}));
  EXPECT_EQ(ids({.updated_from = t0 + 4min}), set({f.invoice}));
  EXPECT_EQ(ids({.updated_to = t0}), set({}));
}

TEST_P(StoreConformance, ListFiltersCombine) {
  QueryFixture f(*this, *tracker, *clock);
  OperationQuery q;
  q.filter.name_prefix = "Webhook.";
  q.filter.tags = {{"tenant", "acme"}, {"provider", "stripe"}};
  q.filter.statuses = StatusSet::terminal();
  q.filter.correlation_id = CorrelationId::parse("corr-a");
  q.filter.parent_id = f.batch;
  EXPECT_EQ(ids_of(tracker->list(q).operations), std::vector<std::string>{f.webhook_ok.value()});
  q.filter.tags["provider"] = "adyen";
  EXPECT_TRUE(tracker->list(q).operations.empty());
}

TEST_P(StoreConformance, ListPagesWithTokensAndEveryRowOnce) {
  std::vector<std::string> started;
  for (int i = 0; i < 23; ++i) {
    started.push_back(start("Paged.Op").value());
    if (i % 3 == 0) clock->advance(1s);  // some share a started_at: the id breaks ties
  }
  for (ListOrder order : {ListOrder::NewestFirst, ListOrder::OldestFirst}) {
    OperationQuery q;
    q.order = order;
    q.limit = 5;
    std::vector<std::string> seen;
    int pages = 0;
    while (true) {
      const OperationPage page = tracker->list(q);
      for (const auto& id : ids_of(page.operations)) seen.push_back(id);
      ++pages;
      if (!page.next_page_token) break;
      q.page_token = page.next_page_token;
    }
    EXPECT_EQ(pages, 5);
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(seen.size(), 23u);
    EXPECT_EQ(unique, std::set<std::string>(started.begin(), started.end()));
  }
}

TEST_P(StoreConformance, TamperedOrForeignPageTokensAreRejected) {
  for (int i = 0; i < 4; ++i) start("Paged.Op");
  OperationQuery q;
  q.limit = 2;
  const std::string token = *tracker->list(q).next_page_token;
  for (std::size_t i = 0; i < token.size(); i += 7) {
    std::string bad = token;
    bad[i] = bad[i] == 'a' ? 'b' : 'a';
    q.page_token = bad;
    EXPECT_THROW(tracker->list(q), ValidationError) << "position " << i;
  }
  for (const std::string& bad : {std::string(""), std::string("zz"), std::string("abc"),
                                 token.substr(0, token.size() - 2), token + "00"}) {
    q.page_token = bad;
    EXPECT_THROW(tracker->list(q), ValidationError) << bad;
  }
  q.page_token = token;
  q.filter.name = "Paged.Op";  // another filter
  EXPECT_THROW(tracker->list(q), ValidationError);
  q.filter = {};
  q.order = ListOrder::OldestFirst;  // another order
  EXPECT_THROW(tracker->list(q), ValidationError);
}

TEST_P(StoreConformance, BadListQueriesAreRejected) {
  OperationQuery q;
  q.limit = 0;
  EXPECT_THROW(tracker->list(q), ValidationError);
  q.limit = 1001;
  EXPECT_THROW(tracker->list(q), ValidationError);
  q.limit = 10;
  q.filter.name = "not a name";
  EXPECT_THROW(tracker->list(q), ValidationError);
  q.filter = {};
  q.filter.tags = {{"1bad", "x"}};
  EXPECT_THROW(tracker->list(q), ValidationError);
  q.filter = {};
  q.filter.started_from = clock->now();
  q.filter.started_to = clock->now() - 1s;
  EXPECT_THROW(tracker->list(q), ValidationError);
  // A prefix no store could read alike (PostgreSQL would cut it at the NUL).
  for (const std::string& prefix :
       {std::string("Web\0hook", 8), std::string("a\nb"), std::string("\xFF"), std::string()}) {
    q.filter = {};
    q.filter.name_prefix = prefix;
    EXPECT_THROW(tracker->list(q), ValidationError);
    EXPECT_THROW(tracker->count_by_status(q.filter), ValidationError);
    EXPECT_THROW(tracker->find_stalled({.name_prefix = prefix}), ValidationError);
    EXPECT_THROW(tracker->find_stalled({.exclude_name_prefixes = {prefix}}), ValidationError);
  }
}

TEST_P(StoreConformance, CountByStatusHonoursFilters) {
  QueryFixture f(*this, *tracker, *clock);
  const StatusCounts all = tracker->count_by_status();
  EXPECT_EQ(
      all,
      (StatusCounts{
          {S::Pending, 1}, {S::Running, 1}, {S::Succeeded, 1}, {S::Failed, 1}, {S::Canceled, 1}}));
  EXPECT_EQ(tracker->count_by_status({.name_prefix = "Webhook."}),
            (StatusCounts{{S::Pending, 1}, {S::Succeeded, 1}, {S::Failed, 1}}));
  EXPECT_TRUE(tracker->count_by_status({.tags = {{"tenant", "nobody"}}}).empty());
}

TEST_P(StoreConformance, ChildrenAreListedOldestFirst) {
  QueryFixture f(*this, *tracker, *clock);
  const OperationPage children = tracker->children(f.batch);
  EXPECT_EQ(ids_of(children.operations),
            (std::vector<std::string>{f.webhook_ok.value(), f.webhook_failed.value()}));
  EXPECT_EQ(ids_of(tracker->children(f.webhook_ok).operations),
            std::vector<std::string>{f.invoice.value()});
  EXPECT_TRUE(tracker->children(f.invoice).operations.empty());
  const OperationPage first = tracker->children(f.batch, 1);
  ASSERT_TRUE(first.next_page_token.has_value());
  EXPECT_EQ(tracker->children(f.batch, 1, first.next_page_token).operations.at(0).id,
            f.webhook_failed);
}

// Every filter combination, in both orders and at several page sizes, pages
// through exactly what matches() selects (the reference), in order, each row
// once; and the counts agree. Stores plan these reads differently per filter
// (index branches per status and name, tag-driven joins), so the combinations
// are drawn at random, with a fixed seed, over a population with ties in time.
TEST_P(StoreConformance, BoundedCountsStopAtTheLimitPerStatus) {
  for (int i = 0; i < 7; ++i) start_in(S::Succeeded);
  for (int i = 0; i < 3; ++i) start_in(S::Failed);
  start_in(S::Running);
  EXPECT_EQ(tracker->count_by_status({}, 3),
            (StatusCounts{{S::Succeeded, 4}, {S::Failed, 3}, {S::Running, 1}}));
  EXPECT_EQ(tracker->count_by_status({}, 100),
            (StatusCounts{{S::Succeeded, 7}, {S::Failed, 3}, {S::Running, 1}}));
  OperationFilter failed;
  failed.statuses = {S::Failed, S::Pending};
  EXPECT_EQ(tracker->count_by_status(failed, 1), (StatusCounts{{S::Failed, 2}}));
  for (const std::int64_t bad : {std::int64_t{0}, std::int64_t{-1}}) {
    try {
      tracker->count_by_status({}, bad);
      ADD_FAILURE() << "at_most " << bad << " was accepted";
    } catch (const ValidationError& e) {
      EXPECT_EQ(e.field(), "at_most");
    }
  }
}

TEST_P(StoreConformance, RandomFilterCombinationsPageLikeTheReference) {
  std::mt19937 random(20261207);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  const std::vector<std::string> names = {"Webhook.A", "Webhook.B", "Webhook.C", "Import.X",
                                          "Report.Y"};
  const std::vector<std::string> tenants = {"t0", "t0", "t0", "t1", "t2"};  // skewed
  const std::vector<std::string> correlations = {"corr-1", "corr-2", "corr-3"};
  std::vector<OperationId> parents;
  for (int i = 0; i < 90; ++i) {
    StartOptions o;
    o.tags["tenant"] = tenants[pick(tenants.size())];
    if (pick(3) == 0) o.tags["region"] = pick(2) == 0 ? "eu" : "us";
    if (pick(2) == 0) {
      CorrelationContext c;
      c.correlation_id = CorrelationId::parse(correlations[pick(correlations.size())]);
      c.created_at = clock->now();
      o.correlation = c;
    }
    if (!parents.empty() && pick(3) == 0) o.parent_id = parents[pick(parents.size())];
    const OperationId id = tracker->start(names[pick(names.size())], o).id;
    if (i % 10 == 0) parents.push_back(id);
    switch (pick(6)) {
      case 0:
        break;  // Pending
      case 1:
        tracker->heartbeat(id);
        break;
      case 2:
        tracker->mark_stalled(id);
        break;
      case 3:
        tracker->complete(id, S::Failed);
        break;
      case 4:
        tracker->complete(id, S::Canceled);
        break;
      default:
        tracker->complete(id, S::Succeeded);
        break;
    }
    if (pick(3) != 0) clock->advance(1s);  // a third share their start time with the next
  }
  OperationQuery everything;
  everything.limit = 1000;
  const std::vector<OperationSnapshot> all = tracker->list(everything).operations;
  ASSERT_EQ(all.size(), 90U);
  const Timestamp first = all.back().started_at;

  for (int round = 0; round < 40; ++round) {
    OperationFilter f;
    if (pick(2) == 0) f.statuses = StatusSet::from_bits(static_cast<std::uint8_t>(pick(64)));
    switch (pick(5)) {
      case 0:
        f.name = names[pick(names.size())];
        break;
      case 1:
        f.name_prefix = std::vector<std::string>{"Webhook.", "W", "Import.", "Nope."}[pick(4)];
        break;
      default:
        break;
    }
    if (pick(3) == 0) f.tags["tenant"] = tenants[pick(tenants.size())];
    if (pick(4) == 0) f.tags["region"] = "eu";
    if (pick(5) == 0)
      f.correlation_id = CorrelationId::parse(correlations[pick(correlations.size())]);
    if (pick(6) == 0) f.parent_id = parents[pick(parents.size())];
    if (pick(4) == 0) f.started_from = first + std::chrono::seconds(pick(40));
    if (pick(4) == 0) f.started_to = first + std::chrono::seconds(20 + pick(60));

    StatusCounts expected_counts;
    std::vector<std::string> expected;
    for (const OperationSnapshot& op : all) {  // newest first
      if (!matches(f, op)) continue;
      expected.push_back(op.id.value());
      ++expected_counts[op.status];
    }
    EXPECT_EQ(tracker->count_by_status(f), expected_counts) << "round " << round;
    // Bounded: each status's count stops at at_most + 1.
    const std::int64_t at_most = 1 + static_cast<std::int64_t>(pick(8));
    StatusCounts bounded = expected_counts;
    for (auto& [status, n] : bounded) n = std::min(n, at_most + 1);
    EXPECT_EQ(tracker->count_by_status(f, at_most), bounded)
        << "round " << round << ", at_most " << at_most;
    for (const ListOrder order : {ListOrder::NewestFirst, ListOrder::OldestFirst}) {
      OperationQuery q;
      q.filter = f;
      q.order = order;
      q.limit = 1 + pick(12);
      std::vector<std::string> seen;
      for (int pages = 0; pages < 100; ++pages) {
        const OperationPage page = tracker->list(q);
        for (const auto& id : ids_of(page.operations)) seen.push_back(id);
        if (!page.next_page_token) break;
        q.page_token = page.next_page_token;
      }
      std::vector<std::string> want = expected;
      if (order == ListOrder::OldestFirst) std::reverse(want.begin(), want.end());
      EXPECT_EQ(seen, want) << "round " << round << ", limit " << q.limit;
    }
  }
}

}  // namespace
}  // namespace incursa::platform::testing
