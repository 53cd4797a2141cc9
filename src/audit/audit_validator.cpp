#include "incursa/platform/audit/audit_validator.hpp"

#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "incursa/platform/limits.hpp"

namespace incursa::platform {

namespace {

bool blank(std::string_view s) { return detail::trim(s).empty(); }

// Lowercase dot-separated segments: "webhook.processed", "email.sent".
bool is_audit_name(std::string_view name) {
  if (name.empty() || name.size() > limits::kMaxNameLength) return false;
  bool segment_start = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    const bool lower = c >= 'a' && c <= 'z';
    if (segment_start ? !lower : !(lower || detail::is_ascii_digit(c) || c == '_' || c == '-')) {
      return false;
    }
    segment_start = false;
  }
  return !segment_start;
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

std::size_t char_count(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// An anchor or actor field: at most 256 characters of UTF-8 without control characters.
bool is_short_text(std::string_view s) {
  return detail::is_valid_utf8(s) && !detail::has_control_char(s) && char_count(s) <= 256;
}

}  // namespace

std::string_view to_string(EventOutcome outcome) noexcept {
  switch (outcome) {
    case EventOutcome::Success:
      return "Success";
    case EventOutcome::Failure:
      return "Failure";
    case EventOutcome::Warning:
      return "Warning";
    case EventOutcome::Info:
      return "Info";
  }
  return "Info";
}

EventOutcome parse_event_outcome(std::string_view text, std::string_view field) {
  const std::string_view t = detail::trim(text);
  for (EventOutcome o :
       {EventOutcome::Success, EventOutcome::Failure, EventOutcome::Warning, EventOutcome::Info}) {
    if (t == to_string(o)) return o;
  }
  throw ValidationError(std::string(field), "must be one of Success, Failure, Warning, Info");
}

AuditValidationResult validate_audit_event(const AuditEvent& event,
                                           const AuditValidationOptions& options) {
  AuditValidationResult result;
  auto& errors = result.errors;
  // The first four, in the .NET original's order and words.
  if (blank(event.name)) errors.emplace_back("Event name is required.");
  if (blank(event.display_message)) errors.emplace_back("Display message is required.");
  if (event.anchors.empty()) errors.emplace_back("At least one anchor is required.");
  if (event.data_json && char_count(*event.data_json) > options.max_data_json_length) {
    errors.push_back("DataJson exceeds maximum length of " +
                     std::to_string(options.max_data_json_length) + " characters.");
  }
  // This library's stricter checks.
  if (!blank(event.name) && !is_audit_name(detail::trim(event.name))) {
    errors.emplace_back(
        "Event name must be lowercase dot-separated segments (e.g. webhook.processed), at most 200 "
        "characters.");
  }
  if (!detail::is_valid_utf8(event.display_message) ||
      detail::trim(event.display_message).size() > limits::kMaxMessageBytes) {
    errors.emplace_back("Display message must be at most 1024 bytes of valid UTF-8.");
  }
  // PostgreSQL cannot store a NUL in text or jsonb: refused on every store alike.
  if (has_nul(event.display_message)) {
    errors.emplace_back("Display message must not contain NUL characters.");
  }
  for (std::size_t i = 0; i < event.anchors.size(); ++i) {
    const EventAnchor& a = event.anchors[i];
    const std::string which = "Anchor " + std::to_string(i + 1);
    if (blank(a.type)) errors.push_back(which + " type is required.");
    if (blank(a.id)) errors.push_back(which + " id is required.");
    if (blank(a.role)) errors.push_back(which + " role is required.");
    for (const std::string* s : {&a.type, &a.id, &a.role}) {
      if (!is_short_text(*s)) {
        errors.push_back(which + " fields must be at most 256 characters of text.");
        break;
      }
    }
  }
  // Blank is not JSON (leave it out for no data); accept() stops at a raw NUL, so
  // one is refused first.
  if (event.data_json &&
      (blank(*event.data_json) || has_nul(*event.data_json) ||
       !detail::is_valid_utf8(*event.data_json) || !nlohmann::json::accept(*event.data_json))) {
    errors.emplace_back("DataJson must be valid JSON.");
  } else if (event.data_json && !detail::json_depth_within(*event.data_json)) {
    errors.emplace_back("DataJson must not nest deeper than 64 levels.");
  } else if (event.data_json && detail::has_escaped_nul(*event.data_json)) {
    errors.emplace_back("DataJson must not contain the escape \\u0000 (NUL).");
  }
  if (event.actor) {
    if (blank(event.actor->type)) errors.emplace_back("Actor type is required.");
    if (blank(event.actor->id)) errors.emplace_back("Actor id is required.");
    const std::string* display = event.actor->display ? &*event.actor->display : nullptr;
    for (const std::string* s : {&event.actor->type, &event.actor->id, display}) {
      if (s != nullptr && !is_short_text(*s)) {
        errors.emplace_back("Actor fields must be at most 256 characters of text.");
        break;
      }
    }
  }
  return result;
}

namespace {
std::string join(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : " ") + e;
  return out;
}
}  // namespace

AuditValidationError::AuditValidationError(std::vector<std::string> errors)
    : ValidationError("audit_event", join(errors)), errors_(std::move(errors)) {}

}  // namespace incursa::platform
