// Opaque identifiers (contract §2): OperationId, CorrelationId, AuditEventId.
//
// An id is a non-empty string of at most 64 characters from [A-Za-z0-9._:-].
// `parse` trims surrounding blanks and rejects anything else with a
// ValidationError naming the field. `generate` makes a new id: 32 lowercase hex
// characters in the UUIDv7 layout (48-bit Unix milliseconds first), so ids made
// later sort later and new rows land at the end of B-tree indexes.
//
// Values are immutable, cheap to copy and safe to share between threads.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "incursa/platform/clock.hpp"

namespace incursa::platform {

inline constexpr std::size_t kMaxIdLength = 64;

namespace detail {
// Throws ValidationError(field, rule) unless `text` (after trimming) is a valid id.
std::string validate_id(std::string_view text, std::string_view field);
// A new 32-hex-character UUIDv7-layout id for time `at`. Thread-safe; ids made by one
// process for the same millisecond still increase (a per-process sequence fills rand_a).
std::string generate_id(Timestamp at);
}  // namespace detail

template <class Tag>
class BasicId {
 public:
  // An empty id: a placeholder that is never valid; parse() and generate() make real ones.
  BasicId() = default;

  // Validates and trims. Throws ValidationError naming Tag::kField.
  static BasicId parse(std::string_view text) {
    return BasicId(detail::validate_id(text, Tag::kField));
  }
  // A fresh time-ordered id for the current wall-clock time.
  static BasicId generate() { return generate(std::chrono::system_clock::now()); }
  static BasicId generate(Timestamp at) { return BasicId(detail::generate_id(at)); }

  const std::string& value() const noexcept { return value_; }
  const std::string& str() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  friend bool operator==(const BasicId&, const BasicId&) = default;
  friend auto operator<=>(const BasicId&, const BasicId&) = default;

 private:
  explicit BasicId(std::string v) : value_(std::move(v)) {}
  std::string value_;
};

struct OperationIdTag {
  static constexpr const char* kField = "operation_id";
};
struct CorrelationIdTag {
  static constexpr const char* kField = "correlation_id";
};
struct AuditEventIdTag {
  static constexpr const char* kField = "audit_event_id";
};

using OperationId = BasicId<OperationIdTag>;
using CorrelationId = BasicId<CorrelationIdTag>;
using AuditEventId = BasicId<AuditEventIdTag>;

}  // namespace incursa::platform

template <class Tag>
struct std::hash<incursa::platform::BasicId<Tag>> {
  std::size_t operator()(const incursa::platform::BasicId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.value());
  }
};
