// W3C traceparent (contract §2): parse_traceparent / format_traceparent.
//
// Properties: a parsed value formats back to exactly the trimmed input (the
// grammar is strict, so the accepted text is already canonical); parse(format(v))
// == v; apply_traceparent + traceparent_of agree with the parsed ids; every
// rejection is a ValidationError with field "traceparent". A second mode builds a
// TraceParent from raw bytes and checks that format either refuses it with a
// ValidationError or yields text that parses back to the same value.
#include <cstdint>

#include "fuzz_check.hpp"
#include "incursa/platform/correlation/traceparent.hpp"
#include "incursa/platform/error.hpp"

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

void parse_mode(std::string_view text) {
  TraceParent parsed;
  try {
    parsed = parse_traceparent(text);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field() == "traceparent");
    return;
  }
  FUZZ_CHECK(is_valid_trace_id(parsed.trace_id));
  FUZZ_CHECK(is_valid_span_id(parsed.span_id));
  const std::string formatted = format_traceparent(parsed);
  FUZZ_CHECK(formatted == oracle_trim(text));
  FUZZ_CHECK(parse_traceparent(formatted) == parsed);

  CorrelationContext ctx;
  apply_traceparent(ctx, parsed);
  FUZZ_CHECK(ctx.trace_id == parsed.trace_id && ctx.span_id == parsed.span_id);
  const std::optional<std::string> again = traceparent_of(ctx);
  FUZZ_CHECK(again.has_value());
  const TraceParent reparsed = parse_traceparent(*again);
  FUZZ_CHECK(reparsed.trace_id == parsed.trace_id && reparsed.span_id == parsed.span_id);
  FUZZ_CHECK(reparsed.flags == 0x01);
}

void struct_mode(incursa::fuzz::Reader& in) {
  TraceParent value;
  value.flags = in.byte();
  value.trace_id = std::string(in.field('|'));
  value.span_id = std::string(in.rest());
  std::string formatted;
  try {
    formatted = format_traceparent(value);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field() == "traceparent");
    FUZZ_CHECK(!is_valid_trace_id(value.trace_id) || !is_valid_span_id(value.span_id));
    CorrelationContext untouched;
    try {
      apply_traceparent(untouched, value);
      FUZZ_CHECK(false);
    } catch (const ValidationError&) {
      FUZZ_CHECK(!untouched.trace_id && !untouched.span_id);  // nothing half-applied
    }
    return;
  }
  FUZZ_CHECK(formatted.size() == 55);
  FUZZ_CHECK(parse_traceparent(formatted) == value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = incursa::fuzz::as_text(data, size);
  parse_mode(text);
  if (!text.empty() && text.front() == '#') {
    incursa::fuzz::Reader in(text.substr(1));
    struct_mode(in);
  }
  return 0;
}
