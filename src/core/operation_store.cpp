#include "incursa/platform/operations/operation_store.hpp"

#include "core/text.hpp"

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

}  // namespace incursa::platform

namespace incursa::platform {

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

}  // namespace incursa::platform

#include "incursa/platform/error.hpp"

namespace incursa::platform {

// Defaults for stores that have not grown these yet; every built-in store overrides them.
namespace {
[[noreturn]] void unsupported(const OperationStore& store, const char* what) {
  throw StoreError(std::string(store.kind()) + " store does not support " + what, false);
}
}  // namespace

void OperationStore::transition_into(TransitionRequest& request, TransitionOutput& out) {
  if (request.status_event_key.empty()) request.status_event_key = new_event_key();
  TransitionResult result = transition(request);
  out.outcome = result.outcome;
  if (!result.snapshot) return;
  out.status = result.snapshot->status;
  if (out.snapshot) *out.snapshot = std::move(*result.snapshot);
  if (out.last_event && !result.appended.empty())
    *out.last_event = std::move(result.appended.back());
}

std::vector<OperationSnapshot> OperationStore::list(const ListRequest&) {
  unsupported(*this, "list");
}
StatusCounts OperationStore::count_by_status(const OperationFilter&) {
  unsupported(*this, "count_by_status");
}
bool OperationStore::append_audit_event(const AuditEvent&) { unsupported(*this, "audit events"); }
std::vector<AuditEvent> OperationStore::query_audit_events(const AuditQuery&) {
  unsupported(*this, "audit events");
}
bool OperationStore::restore(const OperationSnapshot&, const std::vector<OperationEvent>&) {
  unsupported(*this, "restore");
}
std::vector<PurgeCandidate> OperationStore::find_purgeable(const PurgeRequest&) {
  unsupported(*this, "retention");
}
std::vector<OperationId> OperationStore::delete_operations(const std::vector<OperationId>&,
                                                           const PurgeRequest&) {
  unsupported(*this, "retention");
}
std::size_t OperationStore::delete_events_before(Timestamp, std::size_t) {
  unsupported(*this, "retention");
}
// A store without retention never purges, so it never holds a tombstone.
std::optional<PurgedOperation> OperationStore::find_purged(const OperationId&) {
  return std::nullopt;
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

}  // namespace incursa::platform
