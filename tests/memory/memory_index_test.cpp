// The memory store's ordered indexes (docs/design.md, "Memory store indexes"):
// list(), find_stale() and count_by_status() must give exactly what a full scan
// gives -- the reference below copies every live snapshot through get(), filters
// with the shared matches()/is_stale()/name_matches() and sorts -- however writes
// and queries interleave: status changes, progress moving an operation in the
// stale order, purges, an id reused after a purge, restores, and writers racing
// a reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "incursa/platform/operations/operation_store.hpp"
#include "incursa/platform/operations/store_support.hpp"
#include "incursa/platform/stores/memory_store.hpp"

namespace incursa::platform {
namespace {

using std::chrono::seconds;

const Timestamp kBase = Timestamp{} + std::chrono::hours(24 * 365 * 50);

const std::vector<std::string> kNames = {"Webhook.Deliver", "Webhook.Retry", "Report.Render"};

OperationSnapshot new_operation(const std::string& name, Timestamp at) {
  OperationSnapshot s;
  s.id = OperationId::generate(at);
  s.name = name;
  s.started_at = s.updated_at = s.last_progress_at = at;
  return s;
}

std::vector<std::string> ids_of(const std::vector<OperationSnapshot>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id.value());
  return ids;
}

// The store as a full scan sees it: every known id read back through get().
class Reference {
 public:
  explicit Reference(OperationStore& store) : store_(store) {}

  void add(const OperationId& id) { ids_.push_back(id); }
  const std::vector<OperationId>& ids() const { return ids_; }

  std::vector<OperationSnapshot> live() const {
    std::vector<OperationSnapshot> all;
    for (const auto& id : ids_) {
      if (auto s = store_.get(id)) all.push_back(*s);
    }
    return all;
  }

  std::vector<OperationSnapshot> list(const ListRequest& request) const {
    const bool newest = request.order == ListOrder::NewestFirst;
    const auto before = [&](const OperationSnapshot& a, const OperationSnapshot& b) {
      if (a.started_at != b.started_at) {
        return newest ? a.started_at > b.started_at : a.started_at < b.started_at;
      }
      return newest ? a.id > b.id : a.id < b.id;
    };
    std::vector<OperationSnapshot> found;
    for (auto& s : live()) {
      if (!matches(request.filter, s)) continue;
      if (request.after) {
        OperationSnapshot cursor;
        cursor.started_at = request.after->started_at;
        cursor.id = request.after->id;
        if (!before(cursor, s)) continue;
      }
      found.push_back(s);
    }
    std::sort(found.begin(), found.end(), before);
    if (found.size() > request.limit) found.resize(request.limit);
    return found;
  }

  std::vector<OperationSnapshot> find_stale(const StaleQuery& query) const {
    const auto basis = [&](const OperationSnapshot& s) {
      return query.basis == ActivityBasis::Progress ? s.last_progress_at : s.updated_at;
    };
    std::vector<OperationSnapshot> found;
    for (auto& s : live()) {
      if (query.statuses.contains(s.status) && is_stale(s, {query.basis, query.cutoff}) &&
          name_matches(query, s.name)) {
        found.push_back(s);
      }
    }
    std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
      return basis(a) != basis(b) ? basis(a) < basis(b) : a.id < b.id;
    });
    if (found.size() > query.limit) found.resize(query.limit);
    return found;
  }

  StatusCounts count_by_status(const OperationFilter& filter) const {
    StatusCounts counts;
    for (auto& s : live()) {
      if (matches(filter, s)) ++counts[s.status];
    }
    return counts;
  }

 private:
  OperationStore& store_;
  std::vector<OperationId> ids_;
};

TransitionRequest request_for(const OperationId& id, Timestamp at) {
  TransitionRequest r;
  r.id = id;
  r.allowed_from = StatusSet::non_terminal();
  r.at = at;
  return r;
}

PurgeRequest purge_everything() {
  PurgeRequest p;
  p.succeeded_before = p.failed_before = p.canceled_before = kBase + std::chrono::hours(1000);
  return p;
}

StaleQuery stale_query(ActivityBasis basis, Timestamp cutoff) {
  StaleQuery q;
  q.basis = basis;
  q.cutoff = cutoff;
  return q;
}

// A scripted walk through the cases the indexes must follow.
TEST(MemoryStoreIndexes, FollowStatusChangesProgressPurgesAndReusedIds) {
  auto store = make_memory_store();
  Reference ref(*store);
  std::vector<OperationSnapshot> ops;
  for (int i = 0; i < 3; ++i) {
    ops.push_back(new_operation("Job", kBase + seconds(i)));
    ASSERT_TRUE(store->insert(ops.back(), created_event(ops.back().started_at, "k")).created);
    ref.add(ops.back().id);
  }
  const OperationId a = ops[0].id, b = ops[1].id, c = ops[2].id;
  ListRequest all;
  ListRequest open;
  open.filter.statuses = StatusSet::non_terminal();
  const Timestamp cutoff = kBase + seconds(100);
  auto by_progress = stale_query(ActivityBasis::Progress, cutoff);

  EXPECT_EQ(ids_of(store->list(all)), ids_of(ref.list(all)));
  EXPECT_EQ(ids_of(store->list(all)), (std::vector{c.value(), b.value(), a.value()}));
  EXPECT_EQ(ids_of(store->find_stale(by_progress)), (std::vector{a.value(), b.value(), c.value()}));

  // Progress moves `a` to the back of the stale order, then out of it.
  auto progress = request_for(a, kBase + seconds(10));
  progress.changes.status = OperationStatus::Running;
  progress.changes.mark_progress = true;
  ASSERT_EQ(store->transition(progress).outcome, TransitionOutcome::Applied);
  EXPECT_EQ(ids_of(store->find_stale(by_progress)), (std::vector{b.value(), c.value(), a.value()}));
  progress.at = kBase + seconds(200);
  ASSERT_EQ(store->transition(progress).outcome, TransitionOutcome::Applied);
  EXPECT_EQ(ids_of(store->find_stale(by_progress)), (std::vector{b.value(), c.value()}));
  // A heartbeat-like write moves updated_at only.
  auto touch = request_for(b, kBase + seconds(150));
  ASSERT_EQ(store->transition(touch).outcome, TransitionOutcome::Applied);
  EXPECT_EQ(ids_of(store->find_stale(by_progress)), (std::vector{b.value(), c.value()}));
  EXPECT_EQ(ids_of(store->find_stale(stale_query(ActivityBasis::Activity, cutoff))),
            (std::vector{c.value()}));

  // `b` completes: gone from the open indexes, still listed.
  auto complete = request_for(b, kBase + seconds(20));
  complete.changes.status = OperationStatus::Succeeded;
  complete.changes.mark_completed = true;
  ASSERT_EQ(store->transition(complete).outcome, TransitionOutcome::Applied);
  EXPECT_EQ(ids_of(store->find_stale(by_progress)), (std::vector{c.value()}));
  EXPECT_EQ(ids_of(store->list(open)), (std::vector{c.value(), a.value()}));
  EXPECT_EQ(ids_of(store->list(all)), (std::vector{c.value(), b.value(), a.value()}));
  // Terminal statuses asked for: the same answer by the full scan.
  auto with_terminal = by_progress;
  with_terminal.statuses = StatusSet::all();
  EXPECT_EQ(ids_of(store->find_stale(with_terminal)), ids_of(ref.find_stale(with_terminal)));
  EXPECT_EQ(ids_of(store->find_stale(with_terminal)), (std::vector{b.value(), c.value()}));

  // Purged: listed no more, counted no more.
  ASSERT_EQ(store->retention()->delete_operations({b}, purge_everything()).size(), 1U);
  EXPECT_EQ(ids_of(store->list(all)), (std::vector{c.value(), a.value()}));
  EXPECT_EQ(store->count_by_status({}, std::nullopt), ref.count_by_status({}));
  EXPECT_EQ(store->count_by_status({}, std::nullopt).count(OperationStatus::Succeeded), 0U);

  // The id reused by a new operation, started later than the others, once the
  // purged one's events are gone too (until then its tombstone refuses the id).
  EXPECT_TRUE(store->insert(ops[1], created_event(kBase, "k1")).purged.has_value());
  EXPECT_GT(store->retention()->delete_events_before(kBase + seconds(1000000), 1000), 0U);
  OperationSnapshot again = ops[1];
  again.started_at = again.updated_at = again.last_progress_at = kBase + seconds(50);
  ASSERT_TRUE(store->insert(again, created_event(again.started_at, "k2")).created);
  EXPECT_EQ(ids_of(store->list(all)), (std::vector{b.value(), c.value(), a.value()}));
  EXPECT_EQ(ids_of(store->find_stale(by_progress)), (std::vector{c.value(), b.value()}));

  // A restored operation is indexed like an inserted one.
  OperationSnapshot restored = new_operation("Job", kBase + seconds(5));
  restored.status = OperationStatus::Stalled;
  restored.version = 3;
  ASSERT_TRUE(store->transfer()->restore(restored, {}));
  ref.add(restored.id);
  EXPECT_EQ(ids_of(store->list(all)), ids_of(ref.list(all)));
  by_progress.statuses = StatusSet::non_terminal();
  EXPECT_EQ(ids_of(store->find_stale(by_progress)),
            (std::vector{c.value(), restored.id.value(), b.value()}));

  // Cursors: paging through equals one page.
  all.limit = 1;
  std::vector<std::string> paged;
  for (int pages = 0; pages < 10; ++pages) {  // 4 rows: a wrong cursor repeats one
    const auto page = store->list(all);
    if (page.empty()) break;
    paged.push_back(page[0].id.value());
    all.after = ListCursor{page[0].started_at, page[0].id};
  }
  ListRequest one_page;
  EXPECT_EQ(paged, ids_of(store->list(one_page)));
}

// Random writes and queries, each query checked against the full scan.
TEST(MemoryStoreIndexes, AgreeWithAFullScanUnderRandomWritesAndQueries) {
  auto store = make_memory_store();
  Reference ref(*store);
  std::mt19937 rng(20240609);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  // Few distinct times, so that ties by id are common.
  const auto time = [&] { return kBase + seconds(pick(40)); };
  const auto random_statuses = [&] {
    return StatusSet::from_bits(static_cast<std::uint8_t>(rng()));
  };
  int queries = 0;
  for (int step = 0; step < 4000; ++step) {
    const int what = ref.ids().empty() ? 0 : pick(100);
    if (what < 15) {
      auto s = new_operation(kNames[static_cast<std::size_t>(pick(3))], time());
      ASSERT_TRUE(store->insert(s, created_event(s.started_at, "k")).created);
      ref.add(s.id);
    } else if (what < 18) {
      auto s = new_operation(kNames[static_cast<std::size_t>(pick(3))], time());
      s.status = static_cast<OperationStatus>(pick(kOperationStatusCount));
      s.updated_at = s.started_at + seconds(pick(5));
      if (s.terminal()) s.completed_at = s.updated_at;
      ASSERT_TRUE(store->transfer()->restore(s, {}));
      ref.add(s.id);
    } else if (what < 60) {
      const OperationId& id =
          ref.ids()[static_cast<std::size_t>(pick(static_cast<int>(ref.ids().size())))];
      auto r = request_for(id, time());
      switch (pick(5)) {
        case 0:
          r.changes.status = OperationStatus::Running;
          break;
        case 1:
          r.changes.status = OperationStatus::Stalled;
          break;
        case 2:
          r.changes.status = static_cast<OperationStatus>(2 + pick(3));  // terminal
          r.changes.mark_completed = true;
          break;
        default:
          break;
      }
      r.changes.mark_progress = pick(2) == 0;
      if (pick(2) == 0) {
        store->transition(r);
      } else {  // the Tracker's way
        TransitionOutput out;
        store->transition_into(r, out);
      }
    } else if (what < 64) {
      const OperationId& id =
          ref.ids()[static_cast<std::size_t>(pick(static_cast<int>(ref.ids().size())))];
      store->retention()->delete_operations({id}, purge_everything());
    } else if (what < 66) {
      // Reuse a purged id (insert refuses a live one).
      const OperationId& id =
          ref.ids()[static_cast<std::size_t>(pick(static_cast<int>(ref.ids().size())))];
      auto s = new_operation("Webhook.Deliver", time());
      s.id = id;
      store->insert(s, created_event(s.started_at, "again"));
    } else if (what < 85) {
      ++queries;
      ListRequest q;
      q.order = pick(2) == 0 ? ListOrder::NewestFirst : ListOrder::OldestFirst;
      q.limit = pick(4) == 0 ? 1000 : static_cast<std::size_t>(1 + pick(8));
      if (pick(2) == 0) q.filter.statuses = random_statuses();
      if (pick(4) == 0) q.filter.name_prefix = "Webhook.";
      if (pick(4) == 0) q.filter.started_from = time();
      if (pick(4) == 0) q.filter.started_to = time();
      if (pick(3) == 0) {
        const auto live = ref.live();
        if (!live.empty() && pick(2) == 0) {
          const auto& s = live[static_cast<std::size_t>(pick(static_cast<int>(live.size())))];
          q.after = ListCursor{s.started_at, s.id};
        } else {
          q.after = ListCursor{time(), OperationId::generate(time())};
        }
      }
      ASSERT_EQ(store->list(q), ref.list(q)) << "step " << step;
    } else if (what < 97) {
      ++queries;
      StaleQuery q =
          stale_query(pick(2) == 0 ? ActivityBasis::Activity : ActivityBasis::Progress, time());
      if (pick(3) == 0) q.statuses = random_statuses();
      q.limit = pick(3) == 0 ? 1000 : static_cast<std::size_t>(pick(6));
      if (pick(4) == 0) q.name_prefix = "Webhook.";
      if (pick(4) == 0) q.exclude_name_prefixes = {"Webhook.Retry"};
      ASSERT_EQ(store->find_stale(q), ref.find_stale(q)) << "step " << step;
    } else {
      ++queries;
      OperationFilter f;
      if (pick(2) == 0) f.statuses = random_statuses();
      if (pick(3) == 0) f.name = "Report.Render";
      ASSERT_EQ(store->count_by_status(f, std::nullopt), ref.count_by_status(f)) << "step " << step;
    }
  }
  EXPECT_GT(queries, 1000);
}

// Writers race a reader. Every answer the reader gets is ordered and matches
// its query; once the writers are done, the answers equal the full scan's.
TEST(MemoryStoreIndexes, StayCorrectWhileWritersRaceQueries) {
  auto store = make_memory_store();
  constexpr int kWriters = 3;
  constexpr int kPerWriter = 400;
  std::atomic<int> writers_left{kWriters};
  std::vector<std::vector<OperationId>> made(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(static_cast<unsigned>(w + 1));
      for (int i = 0; i < kPerWriter; ++i) {
        auto s = new_operation(kNames[static_cast<std::size_t>(i % 3)],
                               kBase + seconds(static_cast<int>(rng() % 50)));
        store->insert(s, created_event(s.started_at, "k"));
        made[static_cast<std::size_t>(w)].push_back(s.id);
        for (int k = 0; k < 3; ++k) {
          auto r = request_for(s.id, kBase + seconds(static_cast<int>(rng() % 100)));
          r.changes.status = OperationStatus::Running;
          r.changes.mark_progress = rng() % 2 == 0;
          store->transition(r);
        }
        if (rng() % 3 == 0) {
          auto r = request_for(s.id, kBase + seconds(100));
          r.changes.status = OperationStatus::Succeeded;
          r.changes.mark_completed = true;
          store->transition(r);
          if (rng() % 2 == 0) store->retention()->delete_operations({s.id}, purge_everything());
        }
      }
      writers_left.fetch_sub(1);
    });
  }
  ListRequest newest;
  newest.limit = 50;
  ListRequest running;
  running.limit = 50;
  running.order = ListOrder::OldestFirst;
  running.filter.statuses = {OperationStatus::Running};
  const auto stale = stale_query(ActivityBasis::Progress, kBase + seconds(60));
  int rounds = 0;
  while (writers_left.load() > 0 || rounds == 0) {
    ++rounds;
    const auto page = store->list(newest);
    for (std::size_t i = 1; i < page.size(); ++i) {
      ASSERT_TRUE(page[i - 1].started_at > page[i].started_at ||
                  (page[i - 1].started_at == page[i].started_at && page[i - 1].id > page[i].id));
    }
    const auto open = store->list(running);
    for (std::size_t i = 0; i < open.size(); ++i) {
      ASSERT_EQ(open[i].status, OperationStatus::Running);
      if (i > 0) {
        ASSERT_TRUE(open[i - 1].started_at < open[i].started_at ||
                    (open[i - 1].started_at == open[i].started_at && open[i - 1].id < open[i].id));
      }
    }
    const auto found = store->find_stale(stale);
    for (std::size_t i = 0; i < found.size(); ++i) {
      ASSERT_LT(found[i].last_progress_at, stale.cutoff);
      ASSERT_FALSE(found[i].terminal());
      if (i > 0) {
        ASSERT_TRUE(found[i - 1].last_progress_at < found[i].last_progress_at ||
                    (found[i - 1].last_progress_at == found[i].last_progress_at &&
                     found[i - 1].id < found[i].id));
      }
    }
  }
  for (auto& t : threads) t.join();
  Reference ref(*store);
  for (const auto& ids : made) {
    for (const auto& id : ids) ref.add(id);
  }
  newest.limit = running.limit = 1000;
  auto all_stale = stale;
  all_stale.limit = 5000;
  EXPECT_EQ(store->list(newest), ref.list(newest));
  EXPECT_EQ(store->list(running), ref.list(running));
  EXPECT_EQ(store->find_stale(all_stale), ref.find_stale(all_stale));
  EXPECT_EQ(store->count_by_status({}, std::nullopt), ref.count_by_status({}));
  EXPECT_FALSE(ref.find_stale(all_stale).empty());
}

}  // namespace
}  // namespace incursa::platform
