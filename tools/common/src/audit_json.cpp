#include "incursa/tools/audit_json.hpp"

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_json.hpp"

namespace incursa::platform::tools {

namespace {

using nlohmann::ordered_json;
using platform::ValidationError;

template <class T>
ordered_json nullable(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

const ordered_json& member(const ordered_json& j, const char* key) {
  static const ordered_json null_value;
  const auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

std::string required_string(const ordered_json& j, const char* key, const std::string& field) {
  const ordered_json& v = member(j, key);
  if (!v.is_string()) throw ValidationError(field, "must be a string");
  return v.get<std::string>();
}

std::optional<std::string> optional_string(const ordered_json& j, const char* key,
                                           const std::string& field) {
  const ordered_json& v = member(j, key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) throw ValidationError(field, "must be a string or null");
  return v.get<std::string>();
}

void only_keys(const ordered_json& j, std::initializer_list<const char*> known,
               const std::string& where) {
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) throw ValidationError(where + key, "unknown field");
  }
}

}  // namespace

ordered_json audit_event_to_json(const platform::AuditEvent& e) {
  ordered_json anchors = ordered_json::array();
  for (const auto& a : e.anchors) {
    anchors.push_back({{"type", a.type}, {"id", a.id}, {"role", a.role}});
  }
  ordered_json actor = nullptr;
  if (e.actor) {
    actor = {{"type", e.actor->type}, {"id", e.actor->id}, {"display", nullable(e.actor->display)}};
  }
  ordered_json correlation = nullptr;
  if (e.correlation) correlation = ordered_json::parse(platform::to_json(*e.correlation));
  return {{"id", e.id.value()},
          {"occurred_at", platform::format_iso8601(e.occurred_at)},
          {"name", e.name},
          {"display_message", e.display_message},
          {"outcome", platform::to_string(e.outcome)},
          {"anchors", anchors},
          {"data_json", nullable(e.data_json)},
          {"actor", actor},
          {"correlation", correlation}};
}

platform::AuditEvent audit_event_from_json(const ordered_json& j) {
  if (!j.is_object()) throw ValidationError("audit_event", "must be an object");
  only_keys(j,
            {"id", "occurred_at", "name", "display_message", "outcome", "anchors", "data_json",
             "actor", "correlation"},
            "audit_event.");
  platform::AuditEvent e;
  e.id = platform::AuditEventId::parse(required_string(j, "id", "audit_event.id"));
  e.occurred_at = platform::parse_iso8601(
      required_string(j, "occurred_at", "audit_event.occurred_at"), "audit_event.occurred_at");
  e.name = required_string(j, "name", "audit_event.name");
  e.display_message = required_string(j, "display_message", "audit_event.display_message");
  e.outcome = platform::parse_event_outcome(required_string(j, "outcome", "audit_event.outcome"),
                                            "audit_event.outcome");
  const ordered_json& anchors = member(j, "anchors");
  if (!anchors.is_array()) throw ValidationError("audit_event.anchors", "must be an array");
  for (std::size_t i = 0; i < anchors.size(); ++i) {
    const std::string at = "audit_event.anchors[" + std::to_string(i) + "]";
    const ordered_json& a = anchors[i];
    if (!a.is_object()) throw ValidationError(at, "must be an object");
    only_keys(a, {"type", "id", "role"}, at + ".");
    e.anchors.push_back({required_string(a, "type", at + ".type"),
                         required_string(a, "id", at + ".id"),
                         required_string(a, "role", at + ".role")});
  }
  e.data_json = optional_string(j, "data_json", "audit_event.data_json");
  if (const ordered_json& actor = member(j, "actor"); !actor.is_null()) {
    if (!actor.is_object()) throw ValidationError("audit_event.actor", "must be an object or null");
    only_keys(actor, {"type", "id", "display"}, "audit_event.actor.");
    e.actor = platform::AuditActor{required_string(actor, "type", "audit_event.actor.type"),
                                   required_string(actor, "id", "audit_event.actor.id"),
                                   optional_string(actor, "display", "audit_event.actor.display")};
  }
  if (const ordered_json& c = member(j, "correlation"); !c.is_null()) {
    try {
      e.correlation = platform::correlation_from_json(c.dump());
    } catch (const ValidationError& error) {
      throw ValidationError("audit_event.correlation." + error.field(), error.rule());
    }
  }
  return e;
}

}  // namespace incursa::platform::tools
