// The Tracker's read side: list, counts, children and timelines.
#include <algorithm>
#include <tuple>
#include <utility>

#include "base/validation.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/limits.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "operations/page_token.hpp"

namespace incursa::platform {

namespace {

constexpr std::size_t kMaxListPage = 1000;
constexpr std::size_t kMaxTimelineItems = 10000;

void validate_filter(const OperationFilter& f) {
  if (f.name) validation::operation_name(*f.name);
  if (f.name_prefix) validation::name_prefix(*f.name_prefix);
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

StatusCounts Tracker::count_by_status(const OperationFilter& filter,
                                      std::optional<std::int64_t> at_most) {
  validate_filter(filter);
  if (at_most && *at_most < 1) throw ValidationError("at_most", "must be at least 1");
  return store_->count_by_status(filter, at_most);
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

namespace {

// Anchors per audit query: each is an OR'd index lookup, and PostgreSQL keeps a
// prepared statement per anchor count, so a parent's children are asked for in
// groups.
constexpr std::size_t kAnchorsPerQuery = 50;

// The newest `limit` audit events anchored to any of `ids` ("Operation", id),
// newest first, and whether more exist.
std::pair<std::vector<AuditEvent>, bool> anchored_audit(AuditStore& store,
                                                        const std::vector<std::string>& ids,
                                                        std::size_t limit) {
  std::vector<AuditEvent> found;
  for (std::size_t from = 0; from < ids.size(); from += kAnchorsPerQuery) {
    AuditQuery query;
    query.limit = limit + 1;
    for (std::size_t i = from; i < std::min(ids.size(), from + kAnchorsPerQuery); ++i) {
      query.anchors.push_back({"Operation", ids[i], ""});
    }
    for (AuditEvent& e : store.query_audit_events(query)) found.push_back(std::move(e));
  }
  // An event anchored to two of the ids came back from two queries.
  const auto newest_first = [](const AuditEvent& a, const AuditEvent& b) {
    return a.occurred_at != b.occurred_at ? a.occurred_at > b.occurred_at : a.id > b.id;
  };
  std::sort(found.begin(), found.end(), newest_first);
  found.erase(std::unique(found.begin(), found.end(),
                          [](const AuditEvent& a, const AuditEvent& b) { return a.id == b.id; }),
              found.end());
  const bool more = found.size() > limit;
  if (more) found.resize(limit);
  return {std::move(found), more};
}

void validate_limits(const TimelineLimits& limits) {
  validation::page_size(limits.events, kMaxTimelineItems, "limits.events");
  validation::page_size(limits.children, kMaxTimelineItems, "limits.children");
  validation::page_size(limits.audit, kMaxTimelineItems, "limits.audit");
  validation::page_size(limits.related, kMaxTimelineItems, "limits.related");
}

}  // namespace

Timeline Tracker::timeline(const OperationId& id, const TimelineLimits& limits) {
  if (id.empty()) throw ValidationError("operation_id", "is required");
  validate_limits(limits);
  std::optional<OperationSnapshot> snapshot = store_->get(id);
  if (!snapshot) {
    std::string message = "operation " + id.value() + " not found";
    if (const auto purged = find_purged(*store_, id)) {
      message += ": it was purged at " + format_iso8601(purged->purged_at) +
                 " and only its events are kept";
    }
    throw NotFoundError(message);
  }
  Timeline timeline{*snapshot, {}, {}, {}};
  auto& entries = timeline.entries;
  TimelineTruncation& truncated = timeline.truncated;

  std::vector<OperationEvent> events = store_->events(id, 0, limits.events + 1);
  if (events.size() > limits.events) {
    events.resize(limits.events);
    truncated.events_after = events.back().sequence;
  }
  for (OperationEvent& e : events) {
    entries.push_back({TimelineEntry::Source::Event, e.occurred_at, std::move(e), {}, {}});
  }

  // The children as children() pages them, so the token resumes there.
  ListRequest children;
  children.filter.parent_id = id;
  children.order = ListOrder::OldestFirst;
  children.limit = limits.children + 1;
  std::vector<OperationSnapshot> kids = store_->list(children);
  if (kids.size() > limits.children) {
    kids.resize(limits.children);
    truncated.children_page_token = page_token::encode({kids.back().started_at, kids.back().id},
                                                       children.filter, children.order);
  }

  // Audit events anchored to the operation or to a child shown (none from a
  // store that keeps no audit events).
  std::vector<AuditEvent> audit;
  if (AuditStore* audit_store = store_->audit()) {
    std::vector<std::string> anchor_ids{id.value()};
    for (const OperationSnapshot& c : kids) anchor_ids.push_back(c.id.value());
    bool more_audit = false;
    std::tie(audit, more_audit) = anchored_audit(*audit_store, anchor_ids, limits.audit);
    if (more_audit) {
      truncated.audit_before = AuditCursor{audit.back().occurred_at, audit.back().id};
    }
  }

  for (OperationSnapshot& c : kids) {
    entries.push_back({TimelineEntry::Source::ChildStarted, c.started_at, {}, std::move(c), {}});
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

  // Same correlation id, neither this operation nor one of its children: offered
  // apart, newest first. Paged, since the children it skips may be many.
  if (snapshot->correlation) {
    ListRequest related;
    related.filter.correlation_id = snapshot->correlation->correlation_id;
    related.limit = std::min<std::size_t>(kMaxListPage, limits.related + 1);
    for (;;) {
      const std::vector<OperationSnapshot> page = store_->list(related);
      for (const OperationSnapshot& op : page) {
        if (op.id == id || op.parent_id == id) continue;
        if (timeline.related.size() == limits.related) {
          truncated.related = true;
          return timeline;
        }
        timeline.related.push_back(op);
      }
      if (page.size() < related.limit) break;
      related.after = ListCursor{page.back().started_at, page.back().id};
    }
  }
  return timeline;
}

}  // namespace incursa::platform
