#include "incursa/platform/operations/tracker.hpp"
#include "incursa/platform/operations/store_support.hpp"

#include <memory>
#include <optional>
#include <stdexcept>

#include "base/text.hpp"
#include "base/validation.hpp"
#include "correlation/correlation_validation.hpp"
#include "incursa/platform/correlation/correlation_scope.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"
#include "operations/operation_rules.hpp"

namespace incursa::platform {

namespace {

void require_id(const OperationId& id, const char* field = "operation_id") {
  if (id.empty()) throw ValidationError(field, "is required");
}

NotFoundError not_found(const OperationId& id) {
  return NotFoundError("operation " + id.value() + " not found");
}

// One TransitionRequest per thread, reused call after call: assigning an id to
// it reuses the buffer the last id left, where a fresh request would allocate.
// A nested call on the same thread (a store or scrubber that calls a Tracker)
// finds it busy and uses a request of its own.
struct SpareRequest {
  TransitionRequest request;
  bool busy = false;
};

// The pointer is trivially initialised, so reaching it costs no guard check; the
// owner frees the spare when the thread ends, after which calls made from other
// thread-exit code fall back to a request of their own.
thread_local SpareRequest* t_spare = nullptr;
thread_local bool t_spare_gone = false;

struct SpareOwner {
  std::unique_ptr<SpareRequest> spare = std::make_unique<SpareRequest>();
  ~SpareOwner() {
    t_spare = nullptr;
    t_spare_gone = true;
  }
};

SpareRequest* this_thread_spare() {
  if (t_spare != nullptr || t_spare_gone) [[likely]]
    return t_spare;
  thread_local SpareOwner owner;
  t_spare = owner.spare.get();
  return t_spare;
}

// Back to a blank request, keeping the id's buffer and the events' capacity.
// Resets every member (operation_store.hpp asks whoever adds one to add it here).
void recycle(TransitionRequest& r) {
  r.allowed_from = {};
  r.only_if_stale.reset();
  r.at = {};
  r.changes = SnapshotChanges{};
  r.status_event_key.clear();
  r.events.clear();
  // r.id keeps its buffer: every call assigns an id.
}

class RequestLease {
 public:
  RequestLease() {
    SpareRequest* spare = this_thread_spare();
    if (spare != nullptr && !spare->busy) {
      spare->busy = true;
      spare_ = spare;
      request_ = &spare->request;
    } else {
      request_ = &own_.emplace();
    }
  }
  ~RequestLease() {
    if (spare_ == nullptr) return;
    recycle(spare_->request);
    spare_->busy = false;
  }
  RequestLease(const RequestLease&) = delete;
  RequestLease& operator=(const RequestLease&) = delete;

  TransitionRequest& operator*() const noexcept { return *request_; }

 private:
  SpareRequest* spare_ = nullptr;
  TransitionRequest* request_ = nullptr;
  std::optional<TransitionRequest> own_;
};

}  // namespace

Tracker::Tracker(std::shared_ptr<OperationStore> store, TrackerOptions options)
    : store_(std::move(store)),
      clock_(std::move(options.clock)),
      scrubber_(std::move(options.scrubber)) {
  if (!store_) throw std::invalid_argument("Tracker needs a store");
  if (!clock_) clock_ = SystemClock::instance();
}

Timestamp Tracker::now() const { return truncate_to_micros(clock_->now()); }

std::optional<std::string> Tracker::scrub_message(std::optional<std::string> text) const {
  if (!scrubber_ || !text) return text;
  // A scrubbed text may come out longer ("a@b.io" -> "[email]"): cut it to the limit again.
  return validation::message(
      detail::to_message_text(scrubber_->scrub_text(*text), limits::kMaxMessageBytes));
}

std::optional<std::string> Tracker::scrub_data(std::optional<std::string> json) const {
  if (!scrubber_ || !json) return json;
  return validation::data_json(scrubber_->scrub_json(*json));
}

OperationSnapshot Tracker::start(std::string_view name, const StartOptions& options) {
  OperationSnapshot op;
  op.name = validation::operation_name(name);
  validation::tags(options.tags);
  if (options.id) require_id(*options.id, "id");
  if (options.parent_id) require_id(*options.parent_id, "parent_id");
  if (options.correlation) {
    validation::correlation(*options.correlation);
    op.correlation = options.correlation;
  } else if (const CorrelationContext* ambient = CorrelationScope::current()) {
    validation::correlation(*ambient);
    op.correlation = *ambient;
  }

  const Timestamp at = now();
  op.id = options.id ? *options.id : OperationId::generate(at);
  op.status = OperationStatus::Pending;
  op.started_at = op.updated_at = op.last_progress_at = at;
  op.parent_id = options.parent_id;
  op.tags = options.tags;
  op.version = 1;

  InsertResult result = store_->insert(op, created_event(at, new_event_key()));
  if (result.purged) throw OperationPurgedError(std::move(*result.purged));
  if (!result.created && result.snapshot.name != op.name) {
    throw ConflictError("operation " + op.id.value() + " already exists with name " +
                        result.snapshot.name);
  }
  return std::move(result.snapshot);
}

void Tracker::execute(OperationAction action, TransitionRequest& request, TransitionOutput& out,
                      std::optional<OperationStatus> requested) {
  const TransitionRule& rule = kTransitionRules[static_cast<std::size_t>(action)];
  request.allowed_from = rule.applies_from;
  request.changes.status = rule.target_is_requested ? requested : rule.target;
  // One fresh key per call: a status event shares its call's event key, suffixed.
  // Without events the store makes a key only if it writes a status event.
  if (!request.events.empty()) {
    request.status_event_key.assign(request.events.front().key).push_back('s');
  }

  // Rejected needs the status as found; a no-op hands back the snapshot as found.
  store_->transition_into(request, out);
  switch (out.outcome) {
    case TransitionOutcome::Applied:
    case TransitionOutcome::NotStale:
      return;
    case TransitionOutcome::NotFound:
      throw not_found(request.id);
    case TransitionOutcome::Rejected:
      break;
  }
  if (resolve_transition(action, out.status, requested).effect == TransitionEffect::NoOp) return;
  throw InvalidTransitionError(out.status, to_string(action));
}

void Tracker::set_progress(TransitionRequest& request, const ProgressUpdate& update) const {
  validation::percent(update.percent);
  validation::progress(update.progress);
  request.changes.message = scrub_message(validation::message(update.message));
  request.changes.percent = update.percent;
  request.changes.progress = update.progress;
  request.changes.mark_progress = true;
}

void Tracker::append_event(TransitionRequest& request, std::string_view kind,
                           std::optional<std::string_view> message,
                           std::optional<std::string_view> data_json) const {
  NewEvent& event = request.events.emplace_back();
  event.kind = validation::event_kind(kind);
  event.message = scrub_message(validation::message(message));
  event.data_json = scrub_data(validation::data_json(data_json));
  event.occurred_at = request.at;
  event.key = new_event_key();
}

OperationSnapshot Tracker::update_progress(const OperationId& id, const ProgressUpdate& update) {
  require_id(id);
  RequestLease lease;
  TransitionRequest& request = *lease;
  set_progress(request, update);
  request.id = id;
  request.at = now();
  OperationSnapshot snapshot;
  TransitionOutput out;
  out.snapshot = &snapshot;
  execute(OperationAction::UpdateProgress, request, out);
  return snapshot;
}

OperationSnapshot Tracker::heartbeat(const OperationId& id) {
  require_id(id);
  RequestLease lease;
  TransitionRequest& request = *lease;
  request.id = id;
  request.at = now();
  OperationSnapshot snapshot;
  TransitionOutput out;
  out.snapshot = &snapshot;
  execute(OperationAction::Heartbeat, request, out);
  return snapshot;
}

OperationEvent Tracker::add_event(const OperationId& id, std::string_view kind,
                                  std::optional<std::string_view> message,
                                  std::optional<std::string_view> data_json) {
  require_id(id);
  RequestLease lease;
  TransitionRequest& request = *lease;
  request.id = id;
  request.at = now();
  append_event(request, kind, message, data_json);
  OperationEvent written;
  TransitionOutput out;
  out.last_event = &written;
  // An event may be added in any status, so the write always applies.
  execute(OperationAction::AddEvent, request, out);
  return written;
}

ProgressWithEvent Tracker::update_progress_with_event(const OperationId& id,
                                                      const ProgressUpdate& update,
                                                      std::string_view kind,
                                                      std::optional<std::string_view> message,
                                                      std::optional<std::string_view> data_json) {
  require_id(id);
  RequestLease lease;
  TransitionRequest& request = *lease;
  request.id = id;
  request.at = now();
  set_progress(request, update);
  append_event(request, kind, message, data_json);
  ProgressWithEvent written;
  TransitionOutput out;
  out.snapshot = &written.snapshot;
  out.last_event = &written.event;
  // The progress decides where the write applies; the event rides along.
  execute(OperationAction::UpdateProgress, request, out);
  return written;
}

OperationSnapshot Tracker::complete(const OperationId& id, OperationStatus status,
                                    std::optional<std::string_view> message) {
  require_id(id);
  if (!is_terminal(status)) {
    throw ValidationError("status", "must be a terminal status: Succeeded, Failed or Canceled");
  }
  RequestLease lease;
  TransitionRequest& request = *lease;
  request.changes.message = scrub_message(validation::message(message));
  request.changes.mark_completed = true;
  request.id = id;
  request.at = now();
  OperationSnapshot snapshot;
  TransitionOutput out;
  out.snapshot = &snapshot;
  execute(OperationAction::Complete, request, out, status);
  return snapshot;
}

OperationSnapshot Tracker::request_cancel(const OperationId& id,
                                          std::optional<std::string_view> reason) {
  require_id(id);
  RequestLease lease;
  TransitionRequest& request = *lease;
  request.changes.cancel_reason = scrub_message(validation::message(reason, "reason"));
  request.changes.request_cancel = true;
  request.id = id;
  request.at = now();
  NewEvent& event = request.events.emplace_back();
  event.occurred_at = request.at;
  event.kind = event_kinds::kCancelRequested;
  event.message = request.changes.cancel_reason;
  event.key = new_event_key();
  OperationSnapshot snapshot;
  TransitionOutput out;
  out.snapshot = &snapshot;
  execute(OperationAction::RequestCancel, request, out);
  return snapshot;
}

std::optional<OperationSnapshot> Tracker::get_snapshot(const OperationId& id) {
  require_id(id);
  return store_->get(id);
}

std::vector<OperationEvent> Tracker::events(const OperationId& id, std::int64_t after_sequence,
                                            std::size_t limit) {
  require_id(id);
  if (after_sequence < 0) throw ValidationError("after_sequence", "must not be negative");
  validation::page_size(limit, limits::kMaxEventPageSize);
  return store_->events(id, after_sequence, limit);
}

std::vector<OperationSnapshot> Tracker::find_stalled(const StallQuery& query) {
  if (query.threshold.count() < 0) throw ValidationError("threshold", "must not be negative");
  if (query.statuses.empty() ||
      (query.statuses.bits() &
       ~StatusSet{OperationStatus::Pending, OperationStatus::Running}.bits())) {
    throw ValidationError("statuses", "must be Pending, Running or both");
  }
  validation::page_size(query.limit, limits::kMaxEventPageSize);
  if (query.name_prefix) validation::name_prefix(*query.name_prefix);
  for (const std::string& prefix : query.exclude_name_prefixes) {
    validation::name_prefix(prefix, "exclude_name_prefixes");
  }
  StaleQuery stale;
  stale.statuses = query.statuses;
  stale.basis = query.basis;
  stale.cutoff = now() - query.threshold;
  stale.limit = query.limit;
  stale.name_prefix = query.name_prefix;
  stale.exclude_name_prefixes = query.exclude_name_prefixes;
  return store_->find_stale(stale);
}

bool Tracker::mark_stalled(const OperationId& id) {
  require_id(id);
  RequestLease lease;
  TransitionRequest& request = *lease;
  request.changes.increment_stall_count = true;
  request.id = id;
  request.at = now();
  TransitionOutput out;
  execute(OperationAction::MarkStalled, request, out);
  return out.outcome == TransitionOutcome::Applied;
}

bool Tracker::mark_stalled(const OperationId& id, const StaleCondition& still_stale) {
  require_id(id);
  RequestLease lease;
  TransitionRequest& request = *lease;
  request.changes.increment_stall_count = true;
  request.only_if_stale = still_stale;
  request.id = id;
  request.at = now();
  TransitionOutput out;
  execute(OperationAction::MarkStalled, request, out);
  return out.outcome == TransitionOutcome::Applied;
}

}  // namespace incursa::platform
