// The in-memory store. Records live in shards keyed by id hash; a shard's lock is
// held only to find or add a record, and each record has its own mutex, so
// writers to different operations never wait on each other.
//
// The hot path (docs/design.md, "Hot path"): a record lives in its shard's hash
// node and is never erased (a purge only flags it), so a lookup hands out a plain
// pointer with no reference counting; the id is hashed once per lookup; shards
// sit on their own cache lines; transition_into() applies the changes in place,
// moves the caller's event strings into the record and copies out only what the
// caller asked for; and a status change is stored as its two statuses, its text
// and data JSON made only when the event is read.
#include "incursa/platform/stores/memory_store.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

namespace incursa::platform {

namespace {

// An event as the store keeps it: without the operation id (the record has it).
struct StoredEvent {
  std::int64_t sequence = 0;
  Timestamp occurred_at{};
  std::string key{};
  // A status change keeps `from`, `to` and, in `message`, the transition's own
  // message; status_change_event() makes its text and data JSON when it is read,
  // byte for byte what the other stores write.
  bool status_change = false;
  OperationStatus from = OperationStatus::Pending;
  OperationStatus to = OperationStatus::Pending;
  std::string kind{};
  std::optional<std::string> message{};
  std::optional<std::string> data_json{};
};

OperationEvent to_event(const OperationId& id, const StoredEvent& e) {
  if (e.status_change) {
    NewEvent made = status_change_event(e.from, e.to, e.occurred_at, e.message, e.key);
    return {id,
            e.sequence,
            e.occurred_at,
            std::move(made.kind),
            std::move(made.message),
            std::move(made.data_json),
            std::move(made.key)};
  }
  return {id, e.sequence, e.occurred_at, e.kind, e.message, e.data_json, e.key};
}

// Moves from a request the caller handed over, copies from a const one.
std::string take(std::string& s) { return std::move(s); }
std::string take(const std::string& s) { return s; }
std::optional<std::string> take(std::optional<std::string>& s) { return std::move(s); }
std::optional<std::string> take(const std::optional<std::string>& s) { return s; }

struct Record {
  std::mutex mutex;
  OperationSnapshot snapshot;
  std::vector<StoredEvent> events;  // ascending sequence; old ones may be purged
  std::int64_t last_sequence = 0;
  // Set by insert and restore. A record can exist without having been created: a
  // racing insert adds it to its shard before taking its mutex.
  bool exists = false;
  bool purged = false;  // snapshot removed by retention; events kept as evidence

  // Room for a typical operation's events (created, running, a few of its own,
  // the completion) without regrowing.
  static constexpr std::size_t kInitialEvents = 6;

  void append(const NewEvent& e) {
    StoredEvent& stored = events.emplace_back();
    stored.sequence = ++last_sequence;
    stored.occurred_at = e.occurred_at;
    stored.key = e.key;
    stored.kind = e.kind;
    stored.message = e.message;
    stored.data_json = e.data_json;
  }

  // Applies `request` (preconditions checked) and appends its events: the status
  // event first when the status changes. Moves strings out of a non-const
  // request, and with `make_missing_key` gives a status event whose key is empty
  // a fresh one (transition_into()). Returns how many events it appended.
  template <class Request>
  std::size_t apply(Request& request, bool make_missing_key) {
    const OperationStatus before = apply_snapshot_changes(snapshot, request);
    std::size_t appended = 0;
    if (snapshot.status != before) {
      StoredEvent& stored = events.emplace_back();
      stored.sequence = ++last_sequence;
      stored.occurred_at = request.at;
      stored.key = make_missing_key && request.status_event_key.empty()
                       ? new_event_key()
                       : take(request.status_event_key);
      stored.status_change = true;
      stored.from = before;
      stored.to = snapshot.status;
      stored.message = request.changes.message;
      ++appended;
    }
    for (auto& e : request.events) {
      StoredEvent& stored = events.emplace_back();
      stored.sequence = ++last_sequence;
      stored.occurred_at = e.occurred_at;
      stored.key = take(e.key);
      stored.kind = take(e.kind);
      stored.message = take(e.message);
      stored.data_json = take(e.data_json);
      ++appended;
    }
    return appended;
  }
};

// Hashes ids eight bytes at a time (std::hash<std::string> costs several times
// more). Seeded per store so that chosen ids cannot pile into one bucket.
std::uint64_t hash_id(std::string_view id, std::uint64_t seed) noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  std::uint64_t h = seed ^ (id.size() * kMul);
  const char* p = id.data();
  std::size_t n = id.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  if (n > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 32);
}

// A key whose hash is already known, for lookups that hash once.
struct Prehashed {
  std::string_view id;
  std::size_t hash;
};

struct IdHash {
  using is_transparent = void;
  std::uint64_t seed = 0;
  std::size_t operator()(const std::string& id) const noexcept { return hash_id(id, seed); }
  std::size_t operator()(const Prehashed& key) const noexcept { return key.hash; }
};

struct IdEqual {
  using is_transparent = void;
  bool operator()(const std::string& a, const std::string& b) const noexcept { return a == b; }
  bool operator()(const Prehashed& a, const std::string& b) const noexcept { return a.id == b; }
  bool operator()(const std::string& a, const Prehashed& b) const noexcept { return a == b.id; }
};

// The record this thread looked up last, in which store: a worker usually makes
// several calls in a row on its own operation, and finding the record again then
// costs a comparison instead of a hash, a shard lock and a probe. Sound because a
// record is never erased and never moves while its store lives, and store uids
// are never reused. Trivially constructible, so reaching it costs no guard check.
struct LastRecord {
  std::uint64_t store = 0;  // uid of the store; 0: empty
  Record* record = nullptr;
  std::size_t size = 0;
  char id[kMaxIdLength];
};
thread_local LastRecord t_last;

std::atomic<std::uint64_t> g_next_store_uid{1};

class MemoryStore final : public OperationStore {
 public:
  MemoryStore() {
    std::random_device device;
    seed_ = (std::uint64_t{device()} << 32) | device();
    for (Shard& shard : shards_) shard.records = Map(0, IdHash{seed_}, IdEqual{});
  }

  std::string_view kind() const noexcept override { return "memory"; }

  InsertResult insert(const OperationSnapshot& operation, const NewEvent& created) override {
    Record& record = find_or_add(operation.id);
    std::lock_guard record_lock(record.mutex);
    if (live(record)) return {false, record.snapshot};
    // New, or reusing the id of a purged operation: its kept events stay, and the
    // new operation's events continue their sequence.
    record.snapshot = operation;
    record.exists = true;
    record.purged = false;
    if (record.events.capacity() == 0) record.events.reserve(Record::kInitialEvents);
    record.append(created);
    return {true, operation};
  }

  TransitionResult transition(const TransitionRequest& request) override {
    Record* record = find(request.id);
    if (!record) return {TransitionOutcome::NotFound, std::nullopt, {}};
    std::lock_guard lock(record->mutex);
    const TransitionOutcome outcome = check(*record, request);
    if (outcome == TransitionOutcome::NotFound) return {outcome, std::nullopt, {}};
    if (outcome != TransitionOutcome::Applied) return {outcome, record->snapshot, {}};
    const std::size_t appended = record->apply(request, false);
    TransitionResult result{TransitionOutcome::Applied, record->snapshot, {}};
    result.appended.reserve(appended);
    const OperationId& id = record->snapshot.id;
    for (std::size_t i = record->events.size() - appended; i < record->events.size(); ++i) {
      result.appended.push_back(to_event(id, record->events[i]));
    }
    return result;
  }

  void transition_into(TransitionRequest& request, TransitionOutput& out) override {
    Record* record = find(request.id);
    if (!record) {
      out.outcome = TransitionOutcome::NotFound;
      return;
    }
    std::lock_guard lock(record->mutex);
    out.outcome = check(*record, request);
    if (out.outcome == TransitionOutcome::NotFound) return;
    std::size_t appended = 0;
    if (out.outcome == TransitionOutcome::Applied) appended = record->apply(request, true);
    out.status = record->snapshot.status;
    if (out.snapshot) *out.snapshot = record->snapshot;
    if (out.last_event && appended > 0) {
      *out.last_event = to_event(record->snapshot.id, record->events.back());
    }
  }

  bool restore(const OperationSnapshot& operation,
               const std::vector<OperationEvent>& events) override {
    Record& record = find_or_add(operation.id);
    std::lock_guard lock(record.mutex);
    // Events kept from a purged operation count as taken too: the restored
    // sequence numbers could clash with theirs (the SQLite store agrees).
    if (live(record) || !record.events.empty()) return false;
    std::vector<StoredEvent> restored;
    restored.reserve(events.size());
    for (const OperationEvent& e : events) {
      StoredEvent& stored = restored.emplace_back();
      stored.sequence = e.sequence;
      stored.occurred_at = e.occurred_at;
      stored.key = e.key;
      stored.kind = e.kind;
      stored.message = e.message;
      stored.data_json = e.data_json;
    }
    // events() binary-searches by sequence.
    std::sort(restored.begin(), restored.end(),
              [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
    record.snapshot = operation;
    record.last_sequence = restored.empty() ? 0 : restored.back().sequence;
    record.events = std::move(restored);
    record.exists = true;
    record.purged = false;
    return true;
  }

  std::optional<OperationSnapshot> get(const OperationId& id) override {
    Record* record = find(id);
    if (!record) return std::nullopt;
    std::lock_guard lock(record->mutex);
    if (!live(*record)) return std::nullopt;
    return record->snapshot;
  }

  std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence,
                                     std::size_t limit) override {
    Record* record = find(id);
    if (!record) return {};
    std::lock_guard lock(record->mutex);
    const auto& events = record->events;
    const auto begin =
        std::upper_bound(events.begin(), events.end(), after_sequence,
                         [](std::int64_t seq, const StoredEvent& e) { return seq < e.sequence; });
    const auto available = static_cast<std::size_t>(events.end() - begin);
    std::vector<OperationEvent> found;
    found.reserve(std::min(limit, available));
    for (auto it = begin; it != events.end() && found.size() < limit; ++it) {
      found.push_back(to_event(id, *it));
    }
    return found;
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
      Record* record = find(id);
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

  // Whether `request` may apply to `record` now (Applied), or why not.
  static TransitionOutcome check(const Record& record, const TransitionRequest& request) {
    if (!live(record)) return TransitionOutcome::NotFound;
    if (!request.allowed_from.contains(record.snapshot.status)) return TransitionOutcome::Rejected;
    if (request.only_if_stale && !is_stale(record.snapshot, *request.only_if_stale)) {
      return TransitionOutcome::NotStale;
    }
    return TransitionOutcome::Applied;
  }

  template <class Fn>
  void for_each_record(Fn fn) {
    for (Shard& shard : shards_) {
      std::shared_lock shard_lock(shard.mutex);
      for (auto& [id, record] : shard.records) {
        std::lock_guard lock(record.mutex);
        fn(record);
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

  // Records are never erased (a purge only flags one), and a node-based map never
  // moves its values, so a Record& stays valid for the store's lifetime.
  using Map = std::unordered_map<std::string, Record, IdHash, IdEqual>;

  // Each on its own cache lines: a writer taking one shard's lock does not evict
  // the lock of another thread's shard.
  struct alignas(64) Shard {
    std::shared_mutex mutex;
    Map records;
  };

  Shard& shard_for(std::uint64_t hash) { return shards_[(hash >> 40) % kShardCount]; }

  Record* find(const OperationId& id) {
    const std::string& key = id.value();
    if (t_last.store == uid_ && t_last.size == key.size() &&
        std::memcmp(t_last.id, key.data(), key.size()) == 0) {
      return t_last.record;
    }
    const std::uint64_t hash = hash_id(key, seed_);
    Shard& shard = shard_for(hash);
    Record* record = nullptr;
    {
      std::shared_lock lock(shard.mutex);
      const auto it = shard.records.find(Prehashed{key, static_cast<std::size_t>(hash)});
      if (it == shard.records.end()) return nullptr;
      record = &it->second;
    }
    remember(key, record);
    return record;
  }

  Record& find_or_add(const OperationId& id) {
    const std::uint64_t hash = hash_id(id.value(), seed_);
    Shard& shard = shard_for(hash);
    Record* record = nullptr;
    {
      std::unique_lock lock(shard.mutex);
      record = &shard.records.try_emplace(id.value()).first->second;
    }
    remember(id.value(), record);
    return *record;
  }

  void remember(const std::string& id, Record* record) const noexcept {
    if (id.size() > sizeof t_last.id) return;
    t_last.store = uid_;
    t_last.record = record;
    t_last.size = id.size();
    std::memcpy(t_last.id, id.data(), id.size());
  }

  const std::uint64_t uid_ = g_next_store_uid.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t seed_ = 0;  // of hash_id(), chosen per store
  std::array<Shard, kShardCount> shards_;

  // Audit events are append-only and read in bulk; one lock is enough.
  std::mutex audit_mutex_;
  std::vector<AuditEvent> audit_events_;
  std::unordered_set<std::string> audit_ids_;
};

}  // namespace

std::shared_ptr<OperationStore> make_memory_store() { return std::make_shared<MemoryStore>(); }

}  // namespace incursa::platform
