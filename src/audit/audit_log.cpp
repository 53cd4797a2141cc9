#include "incursa/platform/audit/audit_log.hpp"

#include <stdexcept>

#include "base/text.hpp"
#include "base/validation.hpp"
#include "correlation/correlation_validation.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform {

namespace {
constexpr std::size_t kMaxAuditPage = 1000;

void trim_in_place(std::string& s) { s = std::string(detail::trim(s)); }
}  // namespace

AuditLog::AuditLog(std::shared_ptr<AuditStore> store, AuditLogOptions options)
    : store_(std::move(store)),
      clock_(options.clock ? std::move(options.clock) : SystemClock::instance()),
      validation_(options.validation),
      scrubber_(std::move(options.scrubber)) {
  if (!store_) throw std::invalid_argument("AuditLog needs a store");
}

AuditEvent AuditLog::write(AuditEvent event) {
  trim_in_place(event.name);
  trim_in_place(event.display_message);
  for (EventAnchor& a : event.anchors) {
    trim_in_place(a.type);
    trim_in_place(a.id);
    trim_in_place(a.role);
  }
  if (AuditValidationResult result = validate_audit_event(event, validation_); !result.valid()) {
    throw AuditValidationError(std::move(result.errors));
  }
  if (event.correlation) validation::correlation(*event.correlation);
  if (scrubber_) {
    event.display_message = scrubber_->scrub_text(event.display_message);
    if (event.data_json) event.data_json = scrubber_->scrub_json(*event.data_json);
    if (AuditValidationResult again = validate_audit_event(event, validation_); !again.valid()) {
      throw AuditValidationError(std::move(again.errors));  // the scrubber made it invalid
    }
  }
  const Timestamp now = truncate_to_micros(clock_->now());
  if (event.id.empty()) event.id = AuditEventId::generate(now);
  event.occurred_at =
      event.occurred_at == Timestamp{} ? now : truncate_to_micros(event.occurred_at);
  if (!store_->append_audit_event(event)) {
    throw ConflictError("audit event " + event.id.value() + " already exists");
  }
  return event;
}

std::vector<AuditEvent> AuditLog::query(const AuditQuery& query) {
  validation::page_size(query.limit, kMaxAuditPage);
  if (query.name && detail::trim(*query.name).empty()) {
    throw ValidationError("name", "must not be blank");
  }
  // As every store reads them alike: text without control characters.
  if (query.name) validation::name_prefix(*query.name, "name");
  for (const EventAnchor& a : query.anchors) {
    for (const std::string* field : {&a.type, &a.id, &a.role}) {
      if (!detail::is_valid_utf8(*field) || detail::has_control_char(*field) ||
          field->size() > 1024) {
        throw ValidationError("anchors", "must be text without control characters");
      }
    }
  }
  if (query.from && query.to && *query.to < *query.from) {
    throw ValidationError("to", "must not be before from");
  }
  return store_->query_audit_events(query);
}

}  // namespace incursa::platform
