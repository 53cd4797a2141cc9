// W3C traceparent parsing and formatting. See traceparent.hpp for the contract.
#include "incursa/platform/correlation/traceparent.hpp"

#include <utility>

#include "base/text.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform {
namespace {

constexpr std::string_view kField = "traceparent";
constexpr std::string_view kVersion = "00";
// "00-" + 32 + "-" + 16 + "-" + 2
constexpr std::size_t kTraceParentLength = 2 + 1 + kTraceIdLength + 1 + kSpanIdLength + 1 + 2;

constexpr int hex_value(char c) noexcept { return c <= '9' ? c - '0' : c - 'a' + 10; }

bool is_lower_hex(std::string_view text) noexcept {
  for (char c : text) {
    if (!detail::is_lower_hex(c)) return false;
  }
  return true;
}

bool is_all_zero(std::string_view text) noexcept {
  return text.find_first_not_of('0') == std::string_view::npos;
}

bool is_valid_hex_id(std::string_view text, std::size_t length) noexcept {
  return text.size() == length && is_lower_hex(text) && !is_all_zero(text);
}

[[noreturn]] void reject(std::string rule) {
  throw ValidationError(std::string(kField), std::move(rule));
}

void check_parts(const TraceParent& value) {
  if (!is_valid_trace_id(value.trace_id)) {
    reject("trace id must be 32 lowercase hex characters, not all zero");
  }
  if (!is_valid_span_id(value.span_id)) {
    reject("span id must be 16 lowercase hex characters, not all zero");
  }
}

}  // namespace

bool is_valid_trace_id(std::string_view text) noexcept {
  return is_valid_hex_id(text, kTraceIdLength);
}

bool is_valid_span_id(std::string_view text) noexcept {
  return is_valid_hex_id(text, kSpanIdLength);
}

TraceParent parse_traceparent(std::string_view text) {
  const std::string_view s = detail::trim(text);
  // The length check first makes every fixed offset below safe.
  if (s.size() != kTraceParentLength) {
    reject("must be 55 characters: 00-<32 hex>-<16 hex>-<2 hex>");
  }
  const std::string_view version = s.substr(0, 2);
  const std::string_view trace_id = s.substr(3, kTraceIdLength);
  const std::string_view span_id = s.substr(3 + kTraceIdLength + 1, kSpanIdLength);
  const std::string_view flags = s.substr(kTraceParentLength - 2, 2);
  if (s[2] != '-' || s[3 + kTraceIdLength] != '-' || s[kTraceParentLength - 3] != '-') {
    reject("fields must be separated by '-'");
  }
  if (!is_lower_hex(version)) reject("version must be 2 lowercase hex characters");
  if (version != kVersion) reject("only version 00 is supported");
  if (!is_valid_trace_id(trace_id)) {
    reject("trace id must be 32 lowercase hex characters, not all zero");
  }
  if (!is_valid_span_id(span_id)) {
    reject("span id must be 16 lowercase hex characters, not all zero");
  }
  if (!is_lower_hex(flags)) reject("flags must be 2 lowercase hex characters");

  TraceParent result;
  result.trace_id = std::string(trace_id);
  result.span_id = std::string(span_id);
  result.flags = static_cast<std::uint8_t>(hex_value(flags[0]) * 16 + hex_value(flags[1]));
  return result;
}

std::string format_traceparent(const TraceParent& value) {
  check_parts(value);
  constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(kTraceParentLength);
  out.append(kVersion).append(1, '-');
  out.append(value.trace_id).append(1, '-');
  out.append(value.span_id).append(1, '-');
  out.push_back(kDigits[value.flags >> 4U]);
  out.push_back(kDigits[value.flags & 0x0FU]);
  return out;
}

void apply_traceparent(CorrelationContext& ctx, const TraceParent& value) {
  check_parts(value);
  // Copy both before assigning so a failed allocation cannot leave one id updated.
  std::string trace_id = value.trace_id;
  std::string span_id = value.span_id;
  ctx.trace_id = std::move(trace_id);
  ctx.span_id = std::move(span_id);
}

std::optional<std::string> traceparent_of(const CorrelationContext& ctx) {
  if (!ctx.trace_id || !ctx.span_id) return std::nullopt;
  if (!is_valid_trace_id(*ctx.trace_id)) {
    throw ValidationError("trace_id", "must be 32 lowercase hex characters, not all zero");
  }
  if (!is_valid_span_id(*ctx.span_id)) {
    throw ValidationError("span_id", "must be 16 lowercase hex characters, not all zero");
  }
  return format_traceparent(TraceParent{*ctx.trace_id, *ctx.span_id, 0x01});
}

}  // namespace incursa::platform
