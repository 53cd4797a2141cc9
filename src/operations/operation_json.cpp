#include "incursa/platform/operations/operation_json.hpp"
#include "incursa/platform/operations/operation_json_value.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform {

using nlohmann::json;

namespace {

template <class T, class F>
json optional_to_json(const std::optional<T>& value, F&& convert) {
  return value ? json(convert(*value)) : json(nullptr);
}

json correlation_json(const CorrelationContext& c) {
  return {
      {"correlation_id", c.correlation_id.value()},
      {"causation_id", optional_to_json(c.causation_id, [](const auto& v) { return v.value(); })},
      {"trace_id", optional_to_json(c.trace_id, [](const auto& v) { return v; })},
      {"span_id", optional_to_json(c.span_id, [](const auto& v) { return v; })},
      {"created_at", format_iso8601(c.created_at)},
      {"tags", c.tags}};
}

json parse(std::string_view text) {
  if (!detail::json_depth_within(text)) {
    throw ValidationError("json", "must not nest deeper than 64 levels");
  }
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw ValidationError("json", std::string("must be valid JSON (") + e.what() + ")");
  }
}

// Readers that name the field at fault instead of leaking nlohmann's messages.
// Templates: the text forms parse into json, opsctl import hands in the
// ordered_json it parsed a whole line into.
template <class J>
const J& member(const J& j, const char* key) {
  static const J null_value;
  if (!j.is_object()) throw ValidationError("json", "must be an object");
  const auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

template <class J>
std::string required_string(const J& j, const char* key) {
  const J& v = member(j, key);
  if (!v.is_string()) throw ValidationError(key, "must be a string");
  return v.template get<std::string>();
}

template <class J>
std::optional<std::string> optional_string(const J& j, const char* key) {
  const J& v = member(j, key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) throw ValidationError(key, "must be a string or null");
  return v.template get<std::string>();
}

template <class J>
std::int64_t required_int(const J& j, const char* key) {
  const J& v = member(j, key);
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() &&
       v.template get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))) {
    throw ValidationError(key, "must be a 64-bit integer");
  }
  return v.template get<std::int64_t>();
}

template <class J>
Timestamp required_time(const J& j, const char* key) {
  return parse_iso8601(required_string(j, key), key);
}

template <class J>
std::optional<Timestamp> optional_time(const J& j, const char* key) {
  const auto s = optional_string(j, key);
  return s ? std::optional(parse_iso8601(*s, key)) : std::nullopt;
}

template <class J>
Tags tags_of(const J& v, const char* field) {
  if (v.is_null()) return {};
  if (!v.is_object()) throw ValidationError(field, "must be an object of strings");
  Tags tags;
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string()) throw ValidationError(field, "must be an object of strings");
    tags.emplace(key, value.template get<std::string>());
  }
  return tags;
}

template <class J>
CorrelationContext correlation_of(const J& j) {
  CorrelationContext c;
  c.correlation_id = CorrelationId::parse(required_string(j, "correlation_id"));
  if (auto v = optional_string(j, "causation_id")) c.causation_id = CorrelationId::parse(*v);
  c.trace_id = optional_string(j, "trace_id");
  c.span_id = optional_string(j, "span_id");
  c.created_at = required_time(j, "created_at");
  c.tags = tags_of(member(j, "tags"), "tags");
  return c;
}

}  // namespace

std::string to_json(const PurgedOperation& p) {
  return json{
      {"id", p.id.value()},
      {"name", p.name},
      {"status", optional_to_json(p.status, [](auto s) { return std::string(to_string(s)); })},
      {"completed_at", optional_to_json(p.completed_at, format_iso8601)},
      {"purged_at", format_iso8601(p.purged_at)}}
      .dump();
}

std::string to_json(const TimelineTruncation& t) {
  if (!t.any()) return "null";
  return json{
      {"events_after", optional_to_json(t.events_after, [](auto n) { return n; })},
      {"children_page_token",
       optional_to_json(t.children_page_token, [](const auto& s) { return s; })},
      {"audit_before",
       optional_to_json(
           t.audit_before,
           [](const AuditCursor& c) {
             return json{{"occurred_at", format_iso8601(c.occurred_at)}, {"id", c.id.value()}};
           })},
      {"related", t.related}}
      .dump();
}

std::string to_json(const Tags& tags) { return json(tags).dump(); }

std::string to_json(const CorrelationContext& correlation) {
  return correlation_json(correlation).dump();
}

std::string to_json(const OperationSnapshot& s) {
  const auto time = [](Timestamp t) { return format_iso8601(t); };
  const auto same = [](const auto& v) { return v; };
  json progress = nullptr;
  if (s.progress) {
    progress = {{"current", s.progress->current},
                {"total", optional_to_json(s.progress->total, same)},
                {"unit", s.progress->unit}};
  }
  const json j = {
      {"id", s.id.value()},
      {"name", s.name},
      {"status", to_string(s.status)},
      {"started_at", time(s.started_at)},
      {"updated_at", time(s.updated_at)},
      {"last_progress_at", time(s.last_progress_at)},
      {"completed_at", optional_to_json(s.completed_at, time)},
      {"percent", optional_to_json(s.percent, same)},
      {"message", optional_to_json(s.message, same)},
      {"progress", progress},
      {"correlation", s.correlation ? correlation_json(*s.correlation) : json(nullptr)},
      {"parent_id", optional_to_json(s.parent_id, [](const auto& v) { return v.value(); })},
      {"tags", s.tags},
      {"cancel_requested_at", optional_to_json(s.cancel_requested_at, time)},
      {"cancel_reason", optional_to_json(s.cancel_reason, same)},
      {"stall_count", s.stall_count},
      {"version", s.version},
  };
  return j.dump();
}

std::string to_json(const OperationEvent& e) {
  const json j = {
      {"operation_id", e.operation_id.value()},
      {"sequence", e.sequence},
      {"occurred_at", format_iso8601(e.occurred_at)},
      {"kind", e.kind},
      {"message", e.message ? json(*e.message) : json(nullptr)},
      // Kept as the caller's exact text: re-parsing would round big numbers.
      {"data_json", e.data_json ? json(*e.data_json) : json(nullptr)},
      {"key", e.key},
  };
  return j.dump();
}

Tags tags_from_json(std::string_view text) { return tags_of(parse(text), "tags"); }

CorrelationContext correlation_from_json(std::string_view text) {
  return correlation_of(parse(text));
}

namespace {

template <class J>
OperationSnapshot decode_snapshot(const J& j) {
  OperationSnapshot s;
  s.id = OperationId::parse(required_string(j, "id"));
  s.name = required_string(j, "name");
  s.status = parse_operation_status(required_string(j, "status"));
  s.started_at = required_time(j, "started_at");
  s.updated_at = required_time(j, "updated_at");
  s.last_progress_at = required_time(j, "last_progress_at");
  s.completed_at = optional_time(j, "completed_at");
  if (const J& p = member(j, "percent"); !p.is_null()) {
    if (!p.is_number()) throw ValidationError("percent", "must be a number or null");
    s.percent = p.template get<double>();
  }
  s.message = optional_string(j, "message");
  if (const J& p = member(j, "progress"); !p.is_null()) {
    StructuredProgress progress;
    progress.current = required_int(p, "current");
    if (!member(p, "total").is_null()) progress.total = required_int(p, "total");
    progress.unit = optional_string(p, "unit").value_or("");
    s.progress = progress;
  }
  if (const J& c = member(j, "correlation"); !c.is_null()) s.correlation = correlation_of(c);
  if (auto parent = optional_string(j, "parent_id")) s.parent_id = OperationId::parse(*parent);
  s.tags = tags_of(member(j, "tags"), "tags");
  s.cancel_requested_at = optional_time(j, "cancel_requested_at");
  s.cancel_reason = optional_string(j, "cancel_reason");
  s.stall_count = required_int(j, "stall_count");
  s.version = required_int(j, "version");
  return s;
}

template <class J>
OperationEvent decode_event(const J& j) {
  OperationEvent e;
  e.operation_id = OperationId::parse(required_string(j, "operation_id"));
  e.sequence = required_int(j, "sequence");
  e.occurred_at = required_time(j, "occurred_at");
  e.kind = required_string(j, "kind");
  e.message = optional_string(j, "message");
  e.data_json = optional_string(j, "data_json");
  e.key = optional_string(j, "key").value_or("");
  return e;
}

}  // namespace

OperationSnapshot snapshot_from_json(std::string_view text) { return decode_snapshot(parse(text)); }
OperationEvent event_from_json(std::string_view text) { return decode_event(parse(text)); }

OperationSnapshot snapshot_from_json_value(const nlohmann::ordered_json& json) {
  return decode_snapshot(json);
}
OperationEvent event_from_json_value(const nlohmann::ordered_json& json) {
  return decode_event(json);
}

}  // namespace incursa::platform
