// The Tracker's read side: list, counts, children and timelines.
#include <algorithm>

#include "core/page_token.hpp"
#include "core/validation.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/limits.hpp"
#include "incursa/platform/operations/tracker.hpp"

namespace incursa::platform {

namespace {

constexpr std::size_t kMaxListPage = 1000;
constexpr std::size_t kMaxTimelineItems = 10000;

void validate_filter(const OperationFilter& f) {
  if (f.name) validation::operation_name(*f.name);
  if (f.name_prefix && (f.name_prefix->empty() || f.name_prefix->size() > limits::kMaxNameLength)) {
    throw ValidationError("name_prefix", "must be 1-200 characters");
  }
  validation::tags(f.tags);
  if (f.started_from && f.started_to && *f.started_to < *f.started_from) {
    throw ValidationError("started_to", "must not be before started_from");
  }
  if (f.updated_from && f.updated_to && *f.updated_to < *f.updated_from) {
    throw ValidationError("updated_to", "must not be before updated_from");
  }
}

}  // namespace

OperationPage Tracker::list(const OperationQuery& query) {
  validate_filter(query.filter);
  validation::page_size(query.limit, kMaxListPage);
  ListRequest request;
  request.filter = query.filter;
  request.order = query.order;
  request.limit = query.limit + 1;  // one extra row says whether another page exists
  if (query.page_token) {
    request.after = page_token::decode(*query.page_token, query.filter, query.order);
  }
  OperationPage page;
  page.operations = store_->list(request);
  if (page.operations.size() > query.limit) {
    page.operations.resize(query.limit);
    const OperationSnapshot& last = page.operations.back();
    page.next_page_token =
        page_token::encode({last.started_at, last.id}, query.filter, query.order);
  }
  return page;
}

StatusCounts Tracker::count_by_status(const OperationFilter& filter) {
  validate_filter(filter);
  return store_->count_by_status(filter);
}

OperationPage Tracker::children(const OperationId& id, std::size_t limit,
                                std::optional<std::string> page_token) {
  if (id.empty()) throw ValidationError("operation_id", "is required");
  OperationQuery query;
  query.filter.parent_id = id;
  query.order = ListOrder::OldestFirst;
  query.limit = limit;
  query.page_token = std::move(page_token);
  return list(query);
}

Timeline Tracker::timeline(const OperationId& id) {
  if (id.empty()) throw ValidationError("operation_id", "is required");
  std::optional<OperationSnapshot> snapshot = store_->get(id);
  if (!snapshot) throw NotFoundError("operation " + id.value() + " not found");
  Timeline timeline{*snapshot, {}};
  auto& entries = timeline.entries;

  for (OperationEvent& e : store_->events(id, 0, kMaxTimelineItems)) {
    entries.push_back({TimelineEntry::Source::Event, e.occurred_at, std::move(e), {}, {}});
  }
  ListRequest children;
  children.filter.parent_id = id;
  children.order = ListOrder::OldestFirst;
  children.limit = kMaxListPage;
  for (OperationSnapshot& c : store_->list(children)) {
    entries.push_back({TimelineEntry::Source::ChildStarted, c.started_at, {}, std::move(c), {}});
  }

  // Audit events anchored to the operation, plus those sharing its correlation id.
  AuditQuery anchored;
  anchored.anchors = {{"Operation", id.value(), ""}};
  anchored.limit = kMaxListPage;
  std::vector<AuditEvent> audit = store_->query_audit_events(anchored);
  if (snapshot->correlation) {
    AuditQuery correlated;
    correlated.correlation_id = snapshot->correlation->correlation_id;
    correlated.limit = kMaxListPage;
    for (AuditEvent& e : store_->query_audit_events(correlated)) {
      const bool seen = std::any_of(audit.begin(), audit.end(),
                                    [&](const AuditEvent& a) { return a.id == e.id; });
      if (!seen) audit.push_back(std::move(e));
    }
  }
  for (AuditEvent& e : audit) {
    entries.push_back({TimelineEntry::Source::Audit, e.occurred_at, {}, {}, std::move(e)});
  }

  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    if (a.at != b.at) return a.at < b.at;
    if (a.source != b.source) return a.source < b.source;
    if (a.event && b.event) return a.event->sequence < b.event->sequence;
    if (a.audit && b.audit) return a.audit->id < b.audit->id;
    return false;
  });
  return timeline;
}

}  // namespace incursa::platform
