// The store docs/writing-a-store.md builds, step by step: the seven required
// primitives over a std::map under one mutex, no optional capabilities. Small
// on purpose: it shows what a store must do, not how to do it fast (the memory
// store, src/stores/memory/, is the fast one). The conformance suite runs over
// it (tests/toy/), skipping the tests of the capabilities it lacks.
//
// Thread safety: every method takes the one mutex, so each write -- the status
// check and the change together -- is atomic, as the interface requires.
// Errors: none of its own (a real store throws StoreError for I/O trouble).
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "incursa/platform/operations/operation_query.hpp"
#include "incursa/platform/operations/operation_store.hpp"
#include "incursa/platform/operations/store_support.hpp"

namespace toy {

using namespace incursa::platform;

class ToyStore final : public OperationStore {
 public:
  std::string_view kind() const noexcept override { return "toy"; }

  // Step 1: create, or hand back what the id already holds.
  InsertResult insert(const OperationSnapshot& operation, const NewEvent& created) override {
    std::lock_guard lock(mutex_);
    const auto [it, fresh] = records_.try_emplace(operation.id.value(), Record{operation, {}});
    if (!fresh) return {false, it->second.snapshot, std::nullopt};
    append(it->second, created);
    return {true, operation, std::nullopt};
  }

  // Step 2: the one conditional write. Check, then change, under one lock.
  TransitionResult transition(const TransitionRequest& request) override {
    std::lock_guard lock(mutex_);
    const auto it = records_.find(request.id.value());
    if (it == records_.end()) return {TransitionOutcome::NotFound, std::nullopt, {}};
    Record& record = it->second;
    if (!request.allowed_from.contains(record.snapshot.status)) {
      return {TransitionOutcome::Rejected, record.snapshot, {}};
    }
    if (request.only_if_stale && !is_stale(record.snapshot, *request.only_if_stale)) {
      return {TransitionOutcome::NotStale, record.snapshot, {}};
    }
    TransitionResult result{TransitionOutcome::Applied, std::nullopt, {}};
    // apply_changes() sets the fields and returns the events to append: the
    // status event first when the status changes. Sequence numbers are ours.
    for (const NewEvent& e : apply_changes(record.snapshot, request)) {
      result.appended.push_back(append(record, e));
    }
    result.snapshot = record.snapshot;
    return result;
  }

  // Step 3: the reads.
  std::optional<OperationSnapshot> get(const OperationId& id) override {
    std::lock_guard lock(mutex_);
    const auto it = records_.find(id.value());
    if (it == records_.end()) return std::nullopt;
    return it->second.snapshot;
  }

  std::vector<OperationEvent> events(const OperationId& id, std::int64_t after_sequence,
                                     std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<OperationEvent> out;
    const auto it = records_.find(id.value());
    if (it == records_.end()) return out;
    for (const OperationEvent& e : it->second.events) {
      if (out.size() == limit) break;
      if (e.sequence > after_sequence) out.push_back(e);
    }
    return out;
  }

  std::vector<OperationSnapshot> find_stale(const StaleQuery& query) override {
    std::lock_guard lock(mutex_);
    std::vector<OperationSnapshot> found;
    for (const auto& [id, record] : records_) {
      const OperationSnapshot& s = record.snapshot;
      if (query.statuses.contains(s.status) && name_matches(query, s.name) &&
          is_stale(s, {query.basis, query.cutoff})) {
        found.push_back(s);
      }
    }
    const auto basis = [&](const OperationSnapshot& s) {
      return query.basis == ActivityBasis::Progress ? s.last_progress_at : s.updated_at;
    };
    std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
      return basis(a) != basis(b) ? basis(a) < basis(b) : a.id < b.id;  // oldest first
    });
    if (found.size() > query.limit) found.resize(query.limit);
    return found;
  }

  // Step 4: list and count, with matches() as the filter.
  std::vector<OperationSnapshot> list(const ListRequest& request) override {
    std::lock_guard lock(mutex_);
    const bool newest_first = request.order == ListOrder::NewestFirst;
    // "a comes before b" in the requested (started_at, id) order.
    const auto before = [&](const Timestamp& at_a, const OperationId& id_a, const Timestamp& at_b,
                            const OperationId& id_b) {
      const bool less = at_a != at_b ? at_a < at_b : id_a < id_b;
      const bool equal = at_a == at_b && id_a == id_b;
      return newest_first ? !less && !equal : less;
    };
    std::vector<OperationSnapshot> found;
    for (const auto& [id, record] : records_) {
      const OperationSnapshot& s = record.snapshot;
      if (!matches(request.filter, s)) continue;
      if (request.after &&
          !before(request.after->started_at, request.after->id, s.started_at, s.id)) {
        continue;  // not strictly after the cursor
      }
      found.push_back(s);
    }
    std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
      return before(a.started_at, a.id, b.started_at, b.id);
    });
    if (found.size() > request.limit) found.resize(request.limit);
    return found;
  }

  StatusCounts count_by_status(const OperationFilter& filter,
                               std::optional<std::int64_t> at_most) override {
    std::lock_guard lock(mutex_);
    StatusCounts counts;
    for (const auto& [id, record] : records_) {
      if (matches(filter, record.snapshot)) ++counts[record.snapshot.status];
    }
    return cap_counts(std::move(counts), at_most);
  }

 private:
  struct Record {
    OperationSnapshot snapshot;
    std::vector<OperationEvent> events;  // sequence 1, 2, 3 …
  };

  static const OperationEvent& append(Record& record, const NewEvent& e) {
    const auto sequence = static_cast<std::int64_t>(record.events.size()) + 1;
    return record.events.emplace_back(OperationEvent{record.snapshot.id, sequence, e.occurred_at,
                                                     e.kind, e.message, e.data_json, e.key});
  }

  std::mutex mutex_;
  std::map<std::string, Record> records_;
};

}  // namespace toy
