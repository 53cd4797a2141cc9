// The in-memory store. Records live in shards keyed by id hash; a shard's lock is
// held only to find or add a record, and each record has its own mutex, so
// writers to different operations never wait on each other.
#include "incursa/platform/stores/memory_store.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

namespace incursa::platform {

namespace {

struct Record {
  std::mutex mutex;
  OperationSnapshot snapshot;
  std::vector<OperationEvent> events;  // ascending sequence; old ones may be purged
  std::int64_t last_sequence = 0;
  // Set by insert and restore. A record can exist without having been created: a
  // racing insert adds it to its shard before taking its mutex.
  bool exists = false;
  bool purged = false;  // snapshot removed by retention; events kept as evidence

  void append(const OperationId& id, const NewEvent& e) {
    events.push_back({id, ++last_sequence, e.occurred_at, e.kind, e.message, e.data_json, e.key});
  }
};

class MemoryStore final : public OperationStore {
 public:
  std::string_view kind() const noexcept override { return "memory"; }

  InsertResult insert(const OperationSnapshot& operation, const NewEvent& created) override {
    const std::shared_ptr<Record> record = find_or_add(operation.id);
    std::lock_guard record_lock(record->mutex);
    if (live(*record)) return {false, record->snapshot};
    // New, or reusing the id of a purged operation: its kept events stay, and the
    // new operation's events continue their sequence.
    record->snapshot = operation;
    record->exists = true;
    record->purged = false;
    record->append(operation.id, created);
    return {true, operation};
  }

  TransitionResult transition(const TransitionRequest& request) override {
    const std::shared_ptr<Record> record = find(request.id);
    if (!record) return {TransitionOutcome::NotFound, std::nullopt, {}};
    std::lock_guard lock(record->mutex);
    if (!live(*record)) return {TransitionOutcome::NotFound, std::nullopt, {}};
    OperationSnapshot& snapshot = record->snapshot;
    if (!request.allowed_from.contains(snapshot.status)) {
      return {TransitionOutcome::Rejected, snapshot, {}};
    }
    if (request.only_if_stale && !is_stale(snapshot, *request.only_if_stale)) {
      return {TransitionOutcome::NotStale, snapshot, {}};
    }
    TransitionResult result{TransitionOutcome::Applied, std::nullopt, {}};
    for (const NewEvent& event : apply_changes(snapshot, request)) {
      record->append(snapshot.id, event);
      result.appended.push_back(record->events.back());
    }
    result.snapshot = snapshot;
    return result;
  }

  bool restore(const OperationSnapshot& operation,
               const std::vector<OperationEvent>& events) override {
    const std::shared_ptr<Record> record = find_or_add(operation.id);
    std::lock_guard lock(record->mutex);
    // Events kept from a purged operation count as taken too: the restored
    // sequence numbers could clash with theirs (the SQLite store agrees).
    if (live(*record) || !record->events.empty()) return false;
    std::vector<OperationEvent> restored = events;
    // events() binary-searches by sequence.
    std::sort(restored.begin(), restored.end(),
              [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
    record->snapshot = operation;
    record->last_sequence = restored.empty() ? 0 : restored.back().sequence;
    record->events = std::move(restored);
    record->exists = true;
    record->purged = false;
    return true;
  }

  std::optional<OperationSnapshot> get(const OperationId& id) override {
    const std::shared_ptr<Record> record = find(id);
    if (!record) return std::nullopt;
    std::lock_guard lock(record->mutex);
    if (!live(*record)) return std::nullopt;
    return record->snapshot;
  }

  std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence,
                                     std::size_t limit) override {
    const std::shared_ptr<Record> record = find(id);
    if (!record) return {};
    std::lock_guard lock(record->mutex);
    const auto& events = record->events;
    const auto begin = std::upper_bound(
        events.begin(), events.end(), after_sequence,
        [](std::int64_t seq, const OperationEvent& e) { return seq < e.sequence; });
    const auto available = static_cast<std::size_t>(events.end() - begin);
    return {begin, begin + static_cast<std::ptrdiff_t>(std::min(limit, available))};
  }

  std::vector<OperationSnapshot> find_stale(const StaleQuery& query) override {
    const StaleCondition condition{query.basis, query.cutoff};
    std::vector<OperationSnapshot> found = collect([&](const OperationSnapshot& s) {
      return query.statuses.contains(s.status) && is_stale(s, condition) &&
             name_matches(query, s.name);
    });
    const auto basis = [&](const OperationSnapshot& s) {
      return query.basis == ActivityBasis::Progress ? s.last_progress_at : s.updated_at;
    };
    std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
      return basis(a) != basis(b) ? basis(a) < basis(b) : a.id < b.id;
    });
    if (found.size() > query.limit) found.resize(query.limit);
    return found;
  }

  std::vector<OperationSnapshot> list(const ListRequest& request) override {
    const bool newest_first = request.order == ListOrder::NewestFirst;
    // Strictly after the cursor in the requested order.
    const auto after_cursor = [&](const OperationSnapshot& s) {
      if (!request.after) return true;
      const auto& c = *request.after;
      if (s.started_at != c.started_at) {
        return newest_first ? s.started_at < c.started_at : s.started_at > c.started_at;
      }
      return newest_first ? s.id < c.id : s.id > c.id;
    };
    std::vector<OperationSnapshot> found = collect(
        [&](const OperationSnapshot& s) { return matches(request.filter, s) && after_cursor(s); });
    std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
      if (a.started_at != b.started_at) {
        return newest_first ? a.started_at > b.started_at : a.started_at < b.started_at;
      }
      return newest_first ? a.id > b.id : a.id < b.id;
    });
    if (found.size() > request.limit) found.resize(request.limit);
    return found;
  }

  StatusCounts count_by_status(const OperationFilter& filter) override {
    StatusCounts counts;
    for (const auto& s : collect([&](const OperationSnapshot& s) { return matches(filter, s); })) {
      ++counts[s.status];
    }
    return counts;
  }

  bool append_audit_event(const AuditEvent& event) override {
    std::lock_guard lock(audit_mutex_);
    if (!audit_ids_.insert(event.id.value()).second) return false;
    audit_events_.push_back(event);
    return true;
  }

  std::vector<AuditEvent> query_audit_events(const AuditQuery& query) override {
    std::vector<AuditEvent> found;
    {
      std::lock_guard lock(audit_mutex_);
      for (const AuditEvent& e : audit_events_) {
        if (matches(query, e)) found.push_back(e);
      }
    }
    std::sort(found.begin(), found.end(), [](const AuditEvent& a, const AuditEvent& b) {
      return a.occurred_at != b.occurred_at ? a.occurred_at > b.occurred_at : a.id > b.id;
    });
    if (found.size() > query.limit) found.resize(query.limit);
    return found;
  }

  std::vector<PurgeCandidate> find_purgeable(const PurgeRequest& request) override {
    std::vector<PurgeCandidate> found;
    for_each_record([&](Record& r) {
      if (live(r) && is_purgeable(r.snapshot, request)) {
        found.push_back({r.snapshot, static_cast<std::int64_t>(r.events.size())});
      }
    });
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      const Timestamp ta = *a.snapshot.completed_at, tb = *b.snapshot.completed_at;
      return ta != tb ? ta < tb : a.snapshot.id < b.snapshot.id;
    });
    if (found.size() > request.limit) found.resize(request.limit);
    return found;
  }

  std::vector<OperationId> delete_operations(const std::vector<OperationId>& ids,
                                             const PurgeRequest& request) override {
    std::vector<OperationId> deleted;
    for (const OperationId& id : ids) {
      const std::shared_ptr<Record> record = find(id);
      if (!record) continue;
      std::lock_guard lock(record->mutex);
      if (live(*record) && is_purgeable(record->snapshot, request)) {
        record->purged = true;
        deleted.push_back(id);
      }
    }
    return deleted;
  }

  std::size_t delete_events_before(Timestamp cutoff, std::size_t limit) override {
    std::size_t deleted = 0;
    for_each_record([&](Record& r) {
      if (deleted >= limit || (live(r) && !r.snapshot.terminal())) return;
      const auto keep_from = std::remove_if(r.events.begin(), r.events.end(), [&](const auto& e) {
        if (deleted >= limit || e.occurred_at >= cutoff) return false;
        ++deleted;
        return true;
      });
      r.events.erase(keep_from, r.events.end());
    });
    return deleted;
  }

 private:
  static constexpr std::size_t kShardCount = 32;

  // A record whose snapshot exists (not purged).
  static bool live(const Record& r) noexcept { return r.exists && !r.purged; }

  template <class Fn>
  void for_each_record(Fn fn) {
    for (Shard& shard : shards_) {
      std::shared_lock shard_lock(shard.mutex);
      for (const auto& [id, record] : shard.records) {
        std::lock_guard lock(record->mutex);
        fn(*record);
      }
    }
  }

  // Copies of every snapshot for which `keep` is true, in no particular order.
  template <class Pred>
  std::vector<OperationSnapshot> collect(Pred keep) {
    std::vector<OperationSnapshot> found;
    for_each_record([&](Record& r) {
      if (live(r) && keep(r.snapshot)) found.push_back(r.snapshot);
    });
    return found;
  }

  struct Shard {
    std::shared_mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<Record>> records;
  };

  Shard& shard_for(const OperationId& id) {
    return shards_[std::hash<std::string>{}(id.value()) % kShardCount];
  }

  std::shared_ptr<Record> find(const OperationId& id) {
    Shard& shard = shard_for(id);
    std::shared_lock lock(shard.mutex);
    const auto it = shard.records.find(id.value());
    return it == shard.records.end() ? nullptr : it->second;
  }

  std::shared_ptr<Record> find_or_add(const OperationId& id) {
    Shard& shard = shard_for(id);
    std::unique_lock lock(shard.mutex);
    auto [it, inserted] = shard.records.try_emplace(id.value());
    if (inserted) it->second = std::make_shared<Record>();
    return it->second;
  }

  std::array<Shard, kShardCount> shards_;

  // Audit events are append-only and read in bulk; one lock is enough.
  std::mutex audit_mutex_;
  std::vector<AuditEvent> audit_events_;
  std::unordered_set<std::string> audit_ids_;
};

}  // namespace

std::shared_ptr<OperationStore> make_memory_store() { return std::make_shared<MemoryStore>(); }

}  // namespace incursa::platform
