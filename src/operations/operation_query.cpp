#include "incursa/platform/operations/operation_query.hpp"

namespace incursa::platform {

namespace {
bool in_range(Timestamp t, const std::optional<Timestamp>& from,
              const std::optional<Timestamp>& to) {
  return (!from || t >= *from) && (!to || t < *to);
}
}  // namespace

bool matches(const OperationFilter& f, const OperationSnapshot& s) {
  if (!f.statuses.empty() && !f.statuses.contains(s.status)) return false;
  if (f.name && s.name != *f.name) return false;
  if (f.name_prefix && !s.name.starts_with(*f.name_prefix)) return false;
  for (const auto& [key, value] : f.tags) {
    const auto it = s.tags.find(key);
    if (it == s.tags.end() || it->second != value) return false;
  }
  if (f.correlation_id && (!s.correlation || s.correlation->correlation_id != *f.correlation_id)) {
    return false;
  }
  if (f.parent_id && s.parent_id != f.parent_id) return false;
  return in_range(s.started_at, f.started_from, f.started_to) &&
         in_range(s.updated_at, f.updated_from, f.updated_to);
}

}  // namespace incursa::platform
