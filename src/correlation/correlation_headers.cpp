// CorrelationContext <-> headers. See correlation_headers.hpp for the contract.
#include "incursa/platform/correlation/correlation_headers.hpp"

#include <map>
#include <stdexcept>

#include "base/text.hpp"
#include "incursa/platform/correlation/traceparent.hpp"
#include "incursa/platform/error.hpp"

namespace incursa::platform {
namespace {

bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() &&
         detail::ascii_iequals(text.substr(0, prefix.size()), prefix);
}

// The rule a tag key breaks, or nullptr when it is fine.
const char* tag_key_problem(std::string_view key) noexcept {
  if (key.empty() || key.size() > kMaxCorrelationTagKeyLength) return "key must be 1-64 characters";
  if (!detail::is_ascii_alpha(key.front())) return "key must start with a letter";
  for (char c : key) {
    if (!detail::is_ascii_alpha(c) && !detail::is_ascii_digit(c) && c != '_' && c != '.' &&
        c != '-') {
      return "key may only hold letters, digits, '_', '.' and '-'";
    }
  }
  return nullptr;
}

// The rule a tag value breaks, or nullptr when it is fine. Control characters are
// refused because a CR or LF in a header value could start a forged header line.
const char* tag_value_problem(std::string_view value) noexcept {
  if (value.size() > kMaxCorrelationTagValueLength) return "value must be at most 256 characters";
  if (detail::has_control_char(value)) return "value must not contain control characters";
  return nullptr;
}

// One header's value as received. Values are compared only after trimming, so a
// repeat that differs only in surrounding blanks is not a conflict.
struct Slot {
  std::optional<std::string> value;
  bool conflicting = false;

  void offer(std::string_view raw) {
    const std::string_view v = detail::trim(raw);
    if (!value) {
      value = std::string(v);
    } else if (*value != v) {
      conflicting = true;
    }
  }
  // Throws if the header was sent twice with different values.
  void check_unique(std::string_view header) const {
    if (conflicting) {
      throw ValidationError(std::string(header), "sent more than once with different values");
    }
  }
  bool blank() const noexcept { return !value || value->empty(); }
};

struct RawTag {
  std::string key;  // as sent in the first occurrence
  Slot slot;
};

// Everything correlation-related that was received, not yet validated. Collecting
// first and validating afterwards lets a missing id win over any other problem.
struct RawHeaders {
  Slot correlation_id;
  Slot causation_id;
  Slot trace_id;
  Slot span_id;
  Slot created_at;
  std::map<std::string, RawTag> tags;  // by lowercased key
  bool too_many_tags = false;

  void offer_tag(std::string_view key, std::string_view value) {
    std::string folded = detail::ascii_lower(key);
    auto it = tags.find(folded);
    if (it == tags.end()) {
      // Stop growing once over the limit; the error is raised during validation.
      if (tags.size() >= kMaxCorrelationTags) {
        too_many_tags = true;
        return;
      }
      it = tags.emplace(std::move(folded), RawTag{std::string(key), {}}).first;
    }
    it->second.slot.offer(value);
  }
};

template <class Tag>
BasicId<Tag> parse_id_header(const std::string& value, std::string_view header) {
  try {
    return BasicId<Tag>::parse(value);
  } catch (const ValidationError& e) {
    // Re-label: the caller knows headers, not our struct's member names.
    throw ValidationError(std::string(header), e.rule());
  }
}

std::optional<CorrelationContext> build(const RawHeaders& raw) {
  raw.correlation_id.check_unique(kCorrelationIdHeader);
  if (raw.correlation_id.blank()) return std::nullopt;

  CorrelationContext ctx{
      .correlation_id =
          parse_id_header<CorrelationIdTag>(*raw.correlation_id.value, kCorrelationIdHeader),
      .causation_id = std::nullopt,
      .trace_id = std::nullopt,
      .span_id = std::nullopt,
      .created_at = Timestamp{},
      .tags = {},
  };

  raw.causation_id.check_unique(kCausationIdHeader);
  if (!raw.causation_id.blank()) {
    ctx.causation_id =
        parse_id_header<CorrelationIdTag>(*raw.causation_id.value, kCausationIdHeader);
  }

  raw.trace_id.check_unique(kTraceIdHeader);
  if (!raw.trace_id.blank()) {
    if (!is_valid_trace_id(*raw.trace_id.value)) {
      throw ValidationError(std::string(kTraceIdHeader),
                            "must be 32 lowercase hex characters, not all zero");
    }
    ctx.trace_id = *raw.trace_id.value;
  }

  raw.span_id.check_unique(kSpanIdHeader);
  if (!raw.span_id.blank()) {
    if (!is_valid_span_id(*raw.span_id.value)) {
      throw ValidationError(std::string(kSpanIdHeader),
                            "must be 16 lowercase hex characters, not all zero");
    }
    ctx.span_id = *raw.span_id.value;
  }

  raw.created_at.check_unique(kCorrelationCreatedAtHeader);
  if (!raw.created_at.blank()) {
    ctx.created_at =
        truncate_to_micros(parse_iso8601(*raw.created_at.value, kCorrelationCreatedAtHeader));
  }

  if (raw.too_many_tags) {
    throw ValidationError(std::string(kCorrelationTagHeaderPrefix), "at most 32 tags");
  }
  for (const auto& [folded, tag] : raw.tags) {
    if (const char* rule = tag_key_problem(tag.key)) {
      // The bad key is left out of the field name: it is untrusted input.
      throw ValidationError(std::string(kCorrelationTagHeaderPrefix), rule);
    }
    const std::string header = std::string(kCorrelationTagHeaderPrefix) + tag.key;
    tag.slot.check_unique(header);
    if (const char* rule = tag_value_problem(*tag.slot.value)) {
      throw ValidationError(header, rule);
    }
    ctx.tags.emplace(tag.key, *tag.slot.value);
  }
  return ctx;
}

void check_tags_for_writing(const std::map<std::string, std::string>& tags) {
  if (tags.size() > kMaxCorrelationTags) throw ValidationError("tags", "at most 32 tags");
  std::map<std::string, bool> seen;  // lowercased keys
  for (const auto& [key, value] : tags) {
    if (const char* rule = tag_key_problem(key)) throw ValidationError("tags", rule);
    if (const char* rule = tag_value_problem(value)) throw ValidationError("tags", rule);
    // HTTP trims a field value's surrounding blanks, so such a value could not come
    // back as written.
    if (detail::trim(value).size() != value.size()) {
      throw ValidationError("tags", "value must not begin or end with blanks");
    }
    // Header names are case-insensitive: "Tenant" and "tenant" would be one header.
    if (!seen.emplace(detail::ascii_lower(key), true).second) {
      throw ValidationError("tags", "keys must differ by more than letter case");
    }
  }
}

}  // namespace

HeaderList to_headers(const CorrelationContext& ctx) {
  if (ctx.trace_id && !is_valid_trace_id(*ctx.trace_id)) {
    throw ValidationError("trace_id", "must be 32 lowercase hex characters, not all zero");
  }
  if (ctx.span_id && !is_valid_span_id(*ctx.span_id)) {
    throw ValidationError("span_id", "must be 16 lowercase hex characters, not all zero");
  }
  check_tags_for_writing(ctx.tags);

  HeaderList headers;
  headers.reserve(5 + ctx.tags.size());
  headers.emplace_back(kCorrelationIdHeader, ctx.correlation_id.value());
  if (ctx.causation_id) headers.emplace_back(kCausationIdHeader, ctx.causation_id->value());
  if (ctx.trace_id) headers.emplace_back(kTraceIdHeader, *ctx.trace_id);
  if (ctx.span_id) headers.emplace_back(kSpanIdHeader, *ctx.span_id);
  headers.emplace_back(kCorrelationCreatedAtHeader, format_iso8601(ctx.created_at));
  for (const auto& [key, value] : ctx.tags) {
    headers.emplace_back(std::string(kCorrelationTagHeaderPrefix) + key, value);
  }
  return headers;
}

std::optional<CorrelationContext> from_headers(const HeaderList& headers) {
  RawHeaders raw;
  for (const auto& [name, value] : headers) {
    if (detail::ascii_iequals(name, kCorrelationIdHeader)) {
      raw.correlation_id.offer(value);
    } else if (detail::ascii_iequals(name, kCausationIdHeader)) {
      raw.causation_id.offer(value);
    } else if (detail::ascii_iequals(name, kTraceIdHeader)) {
      raw.trace_id.offer(value);
    } else if (detail::ascii_iequals(name, kSpanIdHeader)) {
      raw.span_id.offer(value);
    } else if (detail::ascii_iequals(name, kCorrelationCreatedAtHeader)) {
      raw.created_at.offer(value);
    } else if (istarts_with(name, kCorrelationTagHeaderPrefix)) {
      raw.offer_tag(std::string_view(name).substr(kCorrelationTagHeaderPrefix.size()), value);
    }
  }
  return build(raw);
}

std::optional<CorrelationContext> from_header_lookup(const HeaderLookup& lookup) {
  if (!lookup) throw std::invalid_argument("from_header_lookup: lookup is empty");
  RawHeaders raw;
  const auto read = [&lookup](std::string_view name, Slot& slot) {
    if (auto value = lookup(name)) slot.offer(*value);
  };
  read(kCorrelationIdHeader, raw.correlation_id);
  // A missing id ends it here, so a lookup with side effects sees only one call.
  if (raw.correlation_id.blank()) return std::nullopt;
  read(kCausationIdHeader, raw.causation_id);
  read(kTraceIdHeader, raw.trace_id);
  read(kSpanIdHeader, raw.span_id);
  read(kCorrelationCreatedAtHeader, raw.created_at);
  return build(raw);
}

}  // namespace incursa::platform
