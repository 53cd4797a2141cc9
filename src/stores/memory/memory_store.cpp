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
//
// Queries (docs/design.md, "Memory store indexes"): list() and find_stale() walk
// ordered indexes instead of copying and sorting every snapshot, so a page costs
// what it returns, not what the store holds. The indexes are kept lazily: a write
// only flags its record dirty (under the record's own mutex, pushing it on its
// shard's small dirty list the first time), and each query, under the one index
// mutex, first takes in every dirty record and moves its index entries. So the
// hot path takes no global lock, and an index reflects every write acknowledged
// before the query began.
#include "incursa/platform/stores/memory_store.hpp"
#include "incursa/platform/operations/store_support.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <span>
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

struct Record;

// An entry of an ordered index: a timestamp, then the id (ties by id, as every
// store orders them).
struct IndexKey {
  Timestamp at{};
  const std::string* id = nullptr;  // the record's map key: never changes
  Record* record = nullptr;
};

struct IndexLess {
  bool operator()(const IndexKey& a, const IndexKey& b) const noexcept {
    return a.at != b.at ? a.at < b.at : *a.id < *b.id;
  }
};

using Index = std::set<IndexKey, IndexLess>;

// The store's indexes. "Open" ones hold only non-terminal operations.
enum IndexKind : std::size_t {
  kStartedAll,    // (started_at, id) of every live operation
  kStartedOpen,   // (started_at, id), non-terminal
  kUpdatedOpen,   // (updated_at, id), non-terminal: find_stale by activity
  kProgressOpen,  // (last_progress_at, id), non-terminal: find_stale by progress
  kIndexCount
};

struct Record {
  std::mutex mutex;
  OperationSnapshot snapshot;
  std::vector<StoredEvent> events;  // ascending sequence; old ones may be purged
  std::int64_t last_sequence = 0;
  // Set by insert and restore. A record can exist without having been created: a
  // racing insert adds it to its shard before taking its mutex.
  bool exists = false;
  // Snapshot removed by retention, events kept as evidence: while any are kept,
  // the record is the operation's tombstone (tombstone()).
  bool purged = false;
  Timestamp purged_at{};
  // Written since the last query took it in: on its shard's dirty list.
  bool dirty = false;

  // Set once when the record is added to its shard, then only read.
  const std::string* id = nullptr;  // the shard map's key
  std::uint8_t shard = 0;

  // Guarded by the store's index mutex, not by `mutex`: which indexes hold the
  // record (bit per IndexKind) and where.
  std::uint8_t indexed = 0;
  std::array<Index::iterator, kIndexCount> positions{};

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

class MemoryStore final : public OperationStore,
                          public AuditStore,
                          public RetentionStore,
                          public TransferStore {
 public:
  MemoryStore() {
    std::random_device device;
    seed_ = (std::uint64_t{device()} << 32) | device();
    for (Shard& shard : shards_) shard.records = Map(0, IdHash{seed_}, IdEqual{});
  }

  std::string_view kind() const noexcept override { return "memory"; }
  AuditStore* audit() noexcept override { return this; }
  RetentionStore* retention() noexcept override { return this; }
  TransferStore* transfer() noexcept override { return this; }

  InsertResult insert(const OperationSnapshot& operation, const NewEvent& created) override {
    Record& record = find_or_add(operation.id);
    std::lock_guard record_lock(record.mutex);
    if (live(record)) return {false, record.snapshot};
    if (auto purged = tombstone(record)) return {false, {}, std::move(purged)};
    // New, or the id of a purged operation whose events are all gone: a fresh
    // history, numbered from 1.
    record.snapshot = operation;
    record.exists = true;
    record.purged = false;
    record.last_sequence = 0;
    if (record.events.capacity() == 0) record.events.reserve(Record::kInitialEvents);
    record.append(created);
    mark_dirty(record);
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
    mark_dirty(*record);
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
    if (out.outcome == TransitionOutcome::Applied) {
      appended = record->apply(request, true);
      mark_dirty(*record);
    }
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
    mark_dirty(record);
    return true;
  }

  std::vector<OperationId> taken(std::span<const OperationId> ids) override {
    std::vector<OperationId> out;
    for (const OperationId& id : ids) {
      Record* record = find(id);
      if (!record) continue;
      std::lock_guard lock(record->mutex);
      if (live(*record) || !record->events.empty()) out.push_back(id);
    }
    return out;
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
    // Terminal operations are in no activity index.
    if ((query.statuses.bits() & StatusSet::terminal().bits()) != 0) return scan_stale(query);
    std::vector<OperationSnapshot> found;
    if (query.statuses.empty() || query.limit == 0) return found;
    const StaleCondition condition{query.basis, query.cutoff};
    const bool by_progress = query.basis == ActivityBasis::Progress;
    std::lock_guard lock(index_mutex_);
    drain();
    const Index& index = indexes_[by_progress ? kProgressOpen : kUpdatedOpen];
    for (auto it = index.begin(); it != index.end() && it->at < query.cutoff; ++it) {
      Record& r = *it->record;
      std::lock_guard record_lock(r.mutex);
      const OperationSnapshot& s = r.snapshot;
      // A write since the drain may have moved the record: it is then left out,
      // as if the query had run just before that write.
      if (!live(r) || (by_progress ? s.last_progress_at : s.updated_at) != it->at) continue;
      if (!query.statuses.contains(s.status) || !is_stale(s, condition) ||
          !name_matches(query, s.name)) {
        continue;
      }
      found.push_back(s);
      if (found.size() >= query.limit) break;
    }
    return found;
  }

  std::vector<OperationSnapshot> list(const ListRequest& request) override {
    std::vector<OperationSnapshot> found;
    if (request.limit == 0) return found;
    const OperationFilter& filter = request.filter;
    const bool open_only =
        !filter.statuses.empty() && (filter.statuses.bits() & StatusSet::terminal().bits()) == 0;
    std::lock_guard lock(index_mutex_);
    drain();
    const Index& index = indexes_[open_only ? kStartedOpen : kStartedAll];
    const IndexLess less;
    const std::string no_id;  // sorts before every id: {t, no_id} is the first key at t
    // Adds the row of `key` if it (still) matches; true when the page is full.
    const auto take_row = [&](const IndexKey& key) {
      Record& r = *key.record;
      std::lock_guard record_lock(r.mutex);
      if (live(r) && r.snapshot.started_at == key.at && matches(filter, r.snapshot)) {
        found.push_back(r.snapshot);
      }
      return found.size() >= request.limit;
    };
    if (request.order == ListOrder::NewestFirst) {
      // Rows before `end` (strictly before the cursor, started before started_to),
      // walked backwards down to started_from.
      auto end = index.end();
      const auto lower = [&](const IndexKey& bound) {
        if (end == index.end() || less(bound, *end)) end = index.lower_bound(bound);
      };
      if (request.after) lower({request.after->started_at, &request.after->id.value(), nullptr});
      if (filter.started_to) lower({*filter.started_to, &no_id, nullptr});
      for (auto it = end; it != index.begin();) {
        --it;
        if (filter.started_from && it->at < *filter.started_from) break;
        if (take_row(*it)) break;
      }
    } else {
      // Rows from `begin` (strictly after the cursor, started at or after
      // started_from), walked forwards up to started_to.
      auto begin = index.begin();
      const auto raise = [&](Index::const_iterator candidate) {
        if (candidate == index.end() || (begin != index.end() && less(*begin, *candidate))) {
          begin = candidate;
        }
      };
      if (request.after) {
        raise(index.upper_bound({request.after->started_at, &request.after->id.value(), nullptr}));
      }
      if (filter.started_from) raise(index.lower_bound({*filter.started_from, &no_id, nullptr}));
      for (auto it = begin; it != index.end(); ++it) {
        if (filter.started_to && it->at >= *filter.started_to) break;
        if (take_row(*it)) break;
      }
    }
    return found;
  }

  StatusCounts count_by_status(const OperationFilter& filter,
                               std::optional<std::int64_t> at_most) override {
    StatusCounts counts;
    for_each_record([&](Record& r) {
      if (live(r) && matches(filter, r.snapshot)) ++counts[r.snapshot.status];
    });
    return cap_counts(std::move(counts), at_most);
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
        record->purged_at = request.now;
        mark_dirty(*record);
        deleted.push_back(id);
      }
    }
    return deleted;
  }

  std::optional<PurgedOperation> find_purged(const OperationId& id) override {
    Record* record = find(id);
    if (!record) return std::nullopt;
    std::lock_guard lock(record->mutex);
    return tombstone(*record);
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

  // A purged record is a tombstone for as long as any of its events is kept.
  static std::optional<PurgedOperation> tombstone(const Record& r) {
    if (!r.exists || !r.purged || r.events.empty()) return std::nullopt;
    return PurgedOperation{r.snapshot.id, r.snapshot.name, r.snapshot.status,
                           r.snapshot.completed_at, r.purged_at};
  }

  // Whether `request` may apply to `record` now (Applied), or why not.
  static TransitionOutcome check(const Record& record, const TransitionRequest& request) {
    if (!live(record)) return TransitionOutcome::NotFound;
    if (!request.allowed_from.contains(record.snapshot.status)) return TransitionOutcome::Rejected;
    if (request.only_if_stale && !is_stale(record.snapshot, *request.only_if_stale)) {
      return TransitionOutcome::NotStale;
    }
    return TransitionOutcome::Applied;
  }

  // find_stale() by copying every match and sorting: for queries that ask for
  // terminal statuses, which the activity indexes leave out.
  std::vector<OperationSnapshot> scan_stale(const StaleQuery& query) {
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

  // After a write that may move `record` in the indexes; its mutex held. Costs a
  // flag check when the record is already waiting for the next query.
  void mark_dirty(Record& record) {
    if (record.dirty) return;
    Shard& shard = shards_[record.shard];
    {
      std::lock_guard lock(shard.dirty_mutex);
      shard.dirty.push_back(&record);
    }
    record.dirty = true;
  }

  // Takes in every record written since the last query. index_mutex_ held.
  void drain() {
    for (Shard& shard : shards_) {
      {
        std::lock_guard lock(shard.dirty_mutex);
        if (shard.dirty.empty()) continue;
        draining_.swap(shard.dirty);
      }
      for (Record* record : draining_) {
        std::lock_guard lock(record->mutex);
        record->dirty = false;
        reindex(*record);
      }
      draining_.clear();
    }
  }

  // Puts `r` where its snapshot belongs in each index; its mutex and
  // index_mutex_ held.
  void reindex(Record& r) {
    const bool is_live = live(r);
    const bool open = is_live && !r.snapshot.terminal();
    place(kStartedAll, r, is_live, r.snapshot.started_at);
    place(kStartedOpen, r, open, r.snapshot.started_at);
    place(kUpdatedOpen, r, open, r.snapshot.updated_at);
    place(kProgressOpen, r, open, r.snapshot.last_progress_at);
  }

  // Adds, moves or removes the entry of `r` in one index. A move reuses the
  // entry's node, so it allocates nothing.
  void place(IndexKind which, Record& r, bool wanted, Timestamp at) {
    Index& index = indexes_[which];
    const auto bit = static_cast<std::uint8_t>(1U << which);
    Index::iterator& position = r.positions[which];
    if ((r.indexed & bit) != 0) {
      if (!wanted) {
        index.erase(position);
        r.indexed = static_cast<std::uint8_t>(r.indexed & ~bit);
      } else if (position->at != at) {
        auto node = index.extract(position);
        node.value().at = at;
        // Writes mostly move a record to the newest end.
        position = index.insert(index.end(), std::move(node));
      }
    } else if (wanted) {
      position = index.insert(index.end(), IndexKey{at, r.id, &r});
      r.indexed = static_cast<std::uint8_t>(r.indexed | bit);
    }
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
    // Records written since the last query, each once (Record::dirty).
    std::mutex dirty_mutex;
    std::vector<Record*> dirty;
  };

  static std::size_t shard_index(std::uint64_t hash) noexcept { return (hash >> 40) % kShardCount; }
  Shard& shard_for(std::uint64_t hash) { return shards_[shard_index(hash)]; }

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
    const std::size_t index = shard_index(hash);
    Shard& shard = shards_[index];
    Record* record = nullptr;
    {
      std::unique_lock lock(shard.mutex);
      const auto [it, added] = shard.records.try_emplace(id.value());
      record = &it->second;
      if (added) {
        record->id = &it->first;
        record->shard = static_cast<std::uint8_t>(index);
      }
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

  // Lock order: index_mutex_, then a record's mutex, then a shard's dirty_mutex
  // (a writer holds its record's mutex when it takes its shard's dirty_mutex).
  std::mutex index_mutex_;
  std::array<Index, kIndexCount> indexes_;  // guarded by index_mutex_
  std::vector<Record*> draining_;           // guarded by index_mutex_

  // Audit events are append-only and read in bulk; one lock is enough.
  std::mutex audit_mutex_;
  std::vector<AuditEvent> audit_events_;
  std::unordered_set<std::string> audit_ids_;
};

}  // namespace

std::shared_ptr<OperationStore> make_memory_store() { return std::make_shared<MemoryStore>(); }

}  // namespace incursa::platform
