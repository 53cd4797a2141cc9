#include "incursa/platform/operations/store_support.hpp"

#include <algorithm>
#include <cstdint>

#include "base/random.hpp"
#include "base/text.hpp"

namespace incursa::platform {

NewEvent status_change_event(OperationStatus from, OperationStatus to, Timestamp at,
                             const std::optional<std::string>& message, std::string key) {
  const std::string_view from_text = to_string(from);
  const std::string_view to_text = to_string(to);
  // Built by hand: this runs on every status change, and a JSON library costs
  // several times the rest of the write. Status words need no escaping.
  NewEvent event;
  event.occurred_at = at;
  event.kind = event_kinds::kStatus;
  std::string& text = event.message.emplace();
  text.reserve(from_text.size() + 4 + to_text.size());
  text.append(from_text).append(" -> ").append(to_text);
  std::string& data = event.data_json.emplace();
  data.reserve(32 + from_text.size() + to_text.size() + (message ? message->size() + 16 : 0));
  data.append(R"({"from":")").append(from_text).append(R"(","to":")").append(to_text).append("\"");
  if (message) {
    data.append(R"(,"message":)");
    detail::append_json_string(data, *message);
  }
  data.append("}");
  event.key = std::move(key);
  return event;
}

NewEvent status_change_event(OperationStatus from, const TransitionRequest& request) {
  return status_change_event(from, request.changes.status.value_or(from), request.at,
                             request.changes.message, request.status_event_key);
}

NewEvent created_event(Timestamp at, std::string key) {
  NewEvent event;
  event.occurred_at = at;
  event.kind = event_kinds::kStatus;
  event.message = std::string(to_string(OperationStatus::Pending));
  event.data_json = R"({"from":null,"to":"Pending"})";
  event.key = std::move(key);
  return event;
}

OperationStatus apply_snapshot_changes(OperationSnapshot& snapshot,
                                       const TransitionRequest& request) {
  const SnapshotChanges& c = request.changes;
  const OperationStatus before = snapshot.status;
  if (c.status) snapshot.status = *c.status;
  if (c.percent) snapshot.percent = c.percent;
  if (c.message) snapshot.message = c.message;
  if (c.progress) snapshot.progress = c.progress;
  if (c.mark_progress) snapshot.last_progress_at = request.at;
  if (c.mark_completed) snapshot.completed_at = request.at;
  if (c.request_cancel) {
    // The first request's time stands; a reason fills in only if none was given yet.
    if (!snapshot.cancel_requested_at) snapshot.cancel_requested_at = request.at;
    if (!snapshot.cancel_reason) snapshot.cancel_reason = c.cancel_reason;
  }
  if (c.increment_stall_count) ++snapshot.stall_count;
  snapshot.updated_at = request.at;
  ++snapshot.version;
  return before;
}

std::vector<NewEvent> apply_changes(OperationSnapshot& snapshot, const TransitionRequest& request) {
  std::vector<NewEvent> events;
  events.reserve(request.events.size() + 1);
  const OperationStatus before = apply_snapshot_changes(snapshot, request);
  if (snapshot.status != before) events.push_back(status_change_event(before, request));
  events.insert(events.end(), request.events.begin(), request.events.end());
  return events;
}

bool is_stale(const OperationSnapshot& snapshot, const StaleCondition& condition) noexcept {
  const Timestamp basis =
      condition.basis == ActivityBasis::Progress ? snapshot.last_progress_at : snapshot.updated_at;
  return basis < condition.cutoff;
}

std::optional<Timestamp> purge_cutoff(const PurgeRequest& request,
                                      OperationStatus status) noexcept {
  switch (status) {
    case OperationStatus::Succeeded:
      return request.succeeded_before;
    case OperationStatus::Failed:
      return request.failed_before;
    case OperationStatus::Canceled:
      return request.canceled_before;
    default:
      return std::nullopt;
  }
}

bool is_purgeable(const OperationSnapshot& snapshot, const PurgeRequest& request) noexcept {
  const std::optional<Timestamp> cutoff = purge_cutoff(request, snapshot.status);
  return cutoff && snapshot.completed_at && *snapshot.completed_at < *cutoff;
}

bool name_matches(const StaleQuery& query, std::string_view name) noexcept {
  if (query.name_prefix && !name.starts_with(*query.name_prefix)) return false;
  for (const std::string& excluded : query.exclude_name_prefixes) {
    if (name.starts_with(excluded)) return false;
  }
  return true;
}

std::string new_event_key() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::uint64_t a = detail::random_u64();
  std::uint64_t b = detail::random_u64();
  char key[14];
  for (int i = 0; i < 10; ++i, a >>= 6) key[i] = kAlphabet[a & 63];
  for (int i = 10; i < 14; ++i, b >>= 6) key[i] = kAlphabet[b & 63];
  return std::string(key, sizeof key);
}

StatusCounts cap_counts(StatusCounts counts, std::optional<std::int64_t> at_most) {
  if (!at_most) return counts;
  for (auto& [status, count] : counts) count = std::min(count, *at_most + 1);
  return counts;
}

}  // namespace incursa::platform
