// W3C Trace Context `traceparent` header (contract §2): parse, format, and map onto a
// CorrelationContext's trace and span ids.
//
// Format: "00-<32 lowercase hex trace id>-<16 lowercase hex parent/span id>-<2 hex flags>".
// Parsing is strict and all-or-nothing: a malformed value throws ValidationError
// (field "traceparent") and nothing is half-read. Deliberate choices:
//   - only version "00" is accepted. The W3C text lets a reader try to parse a
//     future version by its 00 prefix; we reject instead, because a header we do
//     not fully understand must not plant ids into our records;
//   - uppercase hex is rejected (the W3C grammar is lowercase only);
//   - an all-zero trace id or span id is rejected (W3C: invalid);
//   - surrounding blanks (space, tab, CR, LF, FF, VT) are trimmed, as ids are;
//     anything else out of place is an error.
// Flags other than bit 0 (sampled) are kept as sent.
//
// Thread safety: free functions over values; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "incursa/platform/correlation/correlation_context.hpp"

namespace incursa::platform {

inline constexpr std::string_view kTraceParentHeader = "traceparent";
inline constexpr std::size_t kTraceIdLength = 32;
inline constexpr std::size_t kSpanIdLength = 16;

struct TraceParent {
  std::string trace_id;  // 32 lowercase hex, not all zero
  std::string span_id;   // 16 lowercase hex, not all zero (the W3C "parent-id")
  std::uint8_t flags = 0;

  // Bit 0 of the trace flags.
  bool sampled() const noexcept { return (flags & 0x01U) != 0; }

  friend bool operator==(const TraceParent&, const TraceParent&) = default;
};

// True when `text` is exactly 32 lowercase hex characters and not all zero.
bool is_valid_trace_id(std::string_view text) noexcept;
// True when `text` is exactly 16 lowercase hex characters and not all zero.
bool is_valid_span_id(std::string_view text) noexcept;

// Throws ValidationError(field "traceparent") on anything malformed (see above).
TraceParent parse_traceparent(std::string_view text);

// Throws ValidationError(field "traceparent") if `value` holds an invalid trace or
// span id, so what it returns always parses back.
std::string format_traceparent(const TraceParent& value);

// Sets ctx.trace_id and ctx.span_id from `value`. Validates first and throws
// ValidationError(field "traceparent") without touching `ctx` if `value` is invalid.
void apply_traceparent(CorrelationContext& ctx, const TraceParent& value);

// A traceparent (flags 01) for a context whose trace and span ids are both set;
// nullopt when either is missing. Throws ValidationError (field "trace_id" or
// "span_id") when a set id is not valid, rather than emit a header peers would drop.
std::optional<std::string> traceparent_of(const CorrelationContext& ctx);

}  // namespace incursa::platform
