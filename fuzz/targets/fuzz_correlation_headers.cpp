// Correlation headers (contract §2): from_headers / to_headers / from_header_lookup.
//
// Input: header lines "Name: value" (split at the first ':'). Properties:
//   - from_headers either throws ValidationError, or returns nullopt, or a context
//     that to_headers accepts; from_headers(to_headers(ctx)) == ctx (a round trip)
//     and to_headers is a fixed point from there;
//   - no written header value contains CR, LF or NUL (no header injection), and
//     every written name is one of the documented ones;
//   - from_header_lookup over the same headers (first value per name) agrees on
//     the id fields when every header name occurs once;
//   - to_headers refuses a tag value with surrounding blanks (HTTP would trim it),
//     so whatever it writes reads back unchanged (the trimmed comparison below
//     stays as a guard);
//   - a second mode builds a CorrelationContext straight from the bytes: to_headers
//     either refuses it with ValidationError naming trace_id/span_id/tags, or
//     writes headers that read back to the same context.
#include <algorithm>
#include <cstdint>

#include "fuzz_check.hpp"
#include "incursa/platform/correlation/correlation_headers.hpp"
#include "incursa/platform/error.hpp"

namespace {

using namespace incursa::platform;

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void check_written(const CorrelationContext& ctx) {
  HeaderList written;
  try {
    written = to_headers(ctx);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field() == "trace_id" || e.field() == "span_id" || e.field() == "tags");
    return;
  }
  for (const auto& [name, value] : written) {
    FUZZ_CHECK(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    FUZZ_CHECK(name == kCorrelationIdHeader || name == kCausationIdHeader ||
               name == kTraceIdHeader || name == kSpanIdHeader ||
               name == kCorrelationCreatedAtHeader ||
               name.rfind(kCorrelationTagHeaderPrefix, 0) == 0);
  }
  const std::optional<CorrelationContext> back = from_headers(written);
  FUZZ_CHECK(back.has_value());
  // Reading trims every value, tag values included, while to_headers writes tag
  // values as given: a value with surrounding blanks comes back trimmed.
  CorrelationContext expected = ctx;
  for (auto& [key, value] : expected.tags) value = std::string(trim(value));
  FUZZ_CHECK(*back == expected);
  // From there on the round trip is exact: a fixed point.
  const HeaderList again = to_headers(*back);
  FUZZ_CHECK(from_headers(again) == back);
  bool trimmed_already = true;
  for (const auto& [key, value] : ctx.tags)
    trimmed_already = trimmed_already && trim(value) == value;
  if (trimmed_already) FUZZ_CHECK(again == written);
}

void headers_mode(std::string_view text) {
  HeaderList headers;
  for (const std::string& line : incursa::fuzz::split(text, '\n')) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }

  std::optional<CorrelationContext> ctx;
  try {
    ctx = from_headers(headers);
  } catch (const ValidationError& e) {
    FUZZ_CHECK(e.field().rfind("X-C", 0) == 0 || e.field().rfind("X-Trace-Id", 0) == 0 ||
               e.field().rfind("X-Span-Id", 0) == 0);
    return;
  }

  // The lookup form: first value per name, case-insensitively.
  const auto lookup = [&headers](std::string_view name) -> std::optional<std::string> {
    for (const auto& [n, v] : headers) {
      if (lower(n) == lower(name)) return v;
    }
    return std::nullopt;
  };
  std::vector<std::string> names;
  for (const auto& [n, v] : headers) names.push_back(lower(n));
  std::sort(names.begin(), names.end());
  const bool unique = std::adjacent_find(names.begin(), names.end()) == names.end();
  if (unique) {
    const std::optional<CorrelationContext> looked = from_header_lookup(lookup);
    FUZZ_CHECK(looked.has_value() == ctx.has_value());
    if (looked) {
      CorrelationContext without_tags = *ctx;
      without_tags.tags.clear();
      FUZZ_CHECK(*looked == without_tags);
    }
  }

  if (!ctx) return;
  FUZZ_CHECK(!ctx->correlation_id.empty());
  FUZZ_CHECK(truncate_to_micros(ctx->created_at) == ctx->created_at);
  check_written(*ctx);
}

void struct_mode(incursa::fuzz::Reader& in) {
  CorrelationContext ctx;
  try {
    ctx.correlation_id = CorrelationId::parse(in.field('\n'));
  } catch (const ValidationError&) {
    return;
  }
  if (in.byte() & 1) ctx.trace_id = std::string(in.field('\n'));
  if (in.byte() & 1) ctx.span_id = std::string(in.field('\n'));
  // Whole microseconds within about 140 years either side of 1970.
  const auto micros =
      static_cast<std::int64_t>(in.u64() % 9'000'000'000'000'000ULL) - 4'500'000'000'000'000LL;
  ctx.created_at = Timestamp(std::chrono::microseconds(micros));
  while (!in.empty()) {
    const std::string_view key = in.field('=');
    ctx.tags[std::string(key)] = std::string(in.field('\n'));
  }
  check_written(ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = incursa::fuzz::as_text(data, size);
  headers_mode(text);
  if (!text.empty() && text.front() == '#') {
    incursa::fuzz::Reader in(text.substr(1));
    struct_mode(in);
  }
  return 0;
}
