#include "incursa/platform/audit/audit_event.hpp"

namespace incursa::platform {

bool matches(const AuditQuery& q, const AuditEvent& e) {
  if (q.before && (e.occurred_at > q.before->occurred_at ||
                   (e.occurred_at == q.before->occurred_at && !(e.id < q.before->id)))) {
    return false;
  }
  if (q.from && e.occurred_at < *q.from) return false;
  if (q.to && e.occurred_at >= *q.to) return false;
  if (q.name) {
    const std::string& n = *q.name;
    if (!n.empty() && n.back() == '*') {
      if (!e.name.starts_with(std::string_view(n).substr(0, n.size() - 1))) return false;
    } else if (e.name != n) {
      return false;
    }
  }
  if (q.correlation_id && (!e.correlation || e.correlation->correlation_id != *q.correlation_id)) {
    return false;
  }
  if (q.anchors.empty()) return true;
  for (const EventAnchor& want : q.anchors) {
    for (const EventAnchor& have : e.anchors) {
      if (have.type == want.type && have.id == want.id &&
          (want.role.empty() || have.role == want.role)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace incursa::platform
