// CorrelationContext <-> message headers (contract §2).
//
// Header                      | field          | when written
// X-Correlation-Id            | correlation_id | always
// X-Causation-Id              | causation_id   | when set
// X-Trace-Id                  | trace_id       | when set (32 lowercase hex, not all zero)
// X-Span-Id                   | span_id        | when set (16 lowercase hex, not all zero)
// X-Correlation-Created-At    | created_at     | always (format_iso8601: UTC, microseconds)
// X-Correlation-Tag-<key>     | tags[key]      | one header per tag
//
// Reading (from_headers):
//   - header names are matched ASCII case-insensitively; other headers are ignored;
//   - values are trimmed of surrounding blanks (space, tab, CR, LF, FF, VT), as ids
//     are; a blank optional header counts as absent;
//   - a missing or blank X-Correlation-Id means "no context": nullopt, and the
//     other correlation headers are not looked at;
//   - a present but invalid value throws ValidationError whose field is the
//     canonical header name (e.g. "X-Correlation-Id", "X-Correlation-Tag-<key>").
//     Nothing is half-read: either a whole context comes back or an error;
//   - the same header sent twice (names compared case-insensitively) with different
//     values is ambiguous and rejected; identical repeats are accepted;
//   - a missing or blank X-Correlation-Created-At leaves created_at at its default,
//     the epoch (Timestamp{}): we do not invent a creation time we were not told.
//     A value with sub-microsecond digits is truncated to microseconds;
//   - tag keys keep the header-name suffix exactly as sent ("X-Correlation-Tag-Tenant"
//     gives key "Tenant"). Beware that HTTP/2 lowercases header names, so a key may
//     come back lowercased after such a hop. Two tag headers whose keys differ only
//     by case are the same header: the first spelling is kept.
//   - tags follow the contract §7 tag rules: at most 32; key 1-64 chars
//     [A-Za-z][A-Za-z0-9_.-]*; value at most 256 chars and no control characters.
//
// Writing (to_headers) validates what it cannot trust from a plain struct (trace and
// span ids, tags) and throws ValidationError naming the struct field ("trace_id",
// "span_id", "tags") instead of emitting a header a peer would reject or that could
// inject a header line. Ids need no check: CorrelationId only holds valid ids.
//
// Thread safety: free functions over values; no shared state.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "incursa/platform/correlation/correlation_context.hpp"

namespace incursa::platform {

inline constexpr std::string_view kCorrelationIdHeader = "X-Correlation-Id";
inline constexpr std::string_view kCausationIdHeader = "X-Causation-Id";
inline constexpr std::string_view kTraceIdHeader = "X-Trace-Id";
inline constexpr std::string_view kSpanIdHeader = "X-Span-Id";
inline constexpr std::string_view kCorrelationCreatedAtHeader = "X-Correlation-Created-At";
inline constexpr std::string_view kCorrelationTagHeaderPrefix = "X-Correlation-Tag-";

inline constexpr std::size_t kMaxCorrelationTags = 32;
inline constexpr std::size_t kMaxCorrelationTagKeyLength = 64;
inline constexpr std::size_t kMaxCorrelationTagValueLength = 256;

// Name/value pairs in the order they were sent or are to be sent.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Returns the value of the header called `name`, or nullopt. Matching the name
// case-insensitively is the lookup's job (most HTTP libraries already do).
using HeaderLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The headers for `ctx`, in the order of the table above, tags sorted by key.
// Throws ValidationError if ctx.trace_id, ctx.span_id or ctx.tags break the rules above.
HeaderList to_headers(const CorrelationContext& ctx);

// The context carried by `headers`, or nullopt when there is none. Throws
// ValidationError (see above).
std::optional<CorrelationContext> from_headers(const HeaderList& headers);

// Same as from_headers, for transports that can only look a header up by name.
// Such a lookup cannot enumerate X-Correlation-Tag-* headers, so the context comes
// back without tags. Throws std::invalid_argument if `lookup` is empty.
std::optional<CorrelationContext> from_header_lookup(const HeaderLookup& lookup);

}  // namespace incursa::platform
