// Ids (contract §2): OperationId / CorrelationId / AuditEventId ::parse.
//
// Properties: parse accepts exactly the trimmed non-empty strings of at most 64
// characters from [A-Za-z0-9._:-] (checked against an independent oracle); the
// value is the trimmed input; parse(value) gives the same id; every rejection is
// a ValidationError naming the id's field.
#include <cstdint>

#include "fuzz_check.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/id.hpp"

namespace {

using namespace incursa::platform;

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view oracle_trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool oracle_valid(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

template <class Id>
void check(std::string_view text, const char* field) {
  const std::string_view trimmed = oracle_trim(text);
  const bool expected = oracle_valid(trimmed);
  try {
    const Id id = Id::parse(text);
    FUZZ_CHECK(expected);
    FUZZ_CHECK(id.value() == trimmed);
    FUZZ_CHECK(!id.empty());
    FUZZ_CHECK(Id::parse(id.value()) == id);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(!expected);
    FUZZ_CHECK(e.field() == field);
    FUZZ_CHECK(!e.rule().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = incursa::fuzz::as_text(data, size);
  check<OperationId>(text, "operation_id");
  check<CorrelationId>(text, "correlation_id");
  check<AuditEventId>(text, "audit_event_id");
  return 0;
}
