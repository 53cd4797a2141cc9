#include "json_mapping.hpp"

#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/tools/audit_json.hpp"

namespace incursa::platform::opsd {

using nlohmann::json;

json operation_json(const OperationSnapshot& operation) {
  json j = json::parse(to_json(operation));
  j["done"] = operation.terminal();
  return j;
}

json event_json(const OperationEvent& event) {
  json j = json::parse(to_json(event));
  // The idempotency key is the library's business, not an API client's.
  j.erase("key");
  return j;
}

json audit_json(const AuditEvent& e) {
  // The export format's encoding (tools/common), so both tools print one shape.
  return json::parse(tools::audit_event_to_json(e).dump());
}

json timeline_json(const Timeline& timeline) {
  json entries = json::array();
  for (const TimelineEntry& entry : timeline.entries) {
    json j = {{"at", format_iso8601(entry.at)}};
    switch (entry.source) {
      case TimelineEntry::Source::Event:
        j["source"] = "event";
        if (entry.event) j["event"] = event_json(*entry.event);
        break;
      case TimelineEntry::Source::ChildStarted:
        j["source"] = "child";
        if (entry.child) j["child"] = operation_json(*entry.child);
        break;
      case TimelineEntry::Source::Audit:
        j["source"] = "audit";
        if (entry.audit) j["audit"] = audit_json(*entry.audit);
        break;
    }
    entries.push_back(std::move(j));
  }
  json related = json::array();
  for (const OperationSnapshot& op : timeline.related) related.push_back(operation_json(op));
  return {{"operation", operation_json(timeline.operation)},
          {"entries", entries},
          {"related", related},
          {"truncated", json::parse(to_json(timeline.truncated))}};
}

json page_json(const OperationPage& page) {
  json operations = json::array();
  for (const OperationSnapshot& op : page.operations) operations.push_back(operation_json(op));
  json j = {{"operations", operations}};
  if (page.next_page_token) j["next_page_token"] = *page.next_page_token;
  return j;
}

json counts_json(const StatusCounts& counts, std::optional<std::int64_t> at_most) {
  json by_status = json::object();
  json more = json::array();
  std::int64_t total = 0;
  for (int i = 0; i < kOperationStatusCount; ++i) {
    const auto status = static_cast<OperationStatus>(i);
    const auto it = counts.find(status);
    std::int64_t n = it == counts.end() ? 0 : it->second;
    if (at_most && n > *at_most) {
      n = *at_most;
      more.push_back(std::string(to_string(status)));
    }
    by_status[std::string(to_string(status))] = n;
    total += n;
  }
  json j = {{"counts", by_status}, {"total", total}};
  if (at_most) {
    j["at_most"] = *at_most;
    j["more"] = more;
  }
  return j;
}

}  // namespace incursa::platform::opsd
