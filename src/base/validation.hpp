// The rules every input is checked by (contract §7), for the values the modules
// share: names, tags, messages, event kinds, data JSON, numbers, page sizes.
// Each function either returns the normalised value (trimmed; blank messages
// become "none") or throws a ValidationError naming the field and the rule.
// Nothing here touches a store. Two modules add the rules of their own types
// on top: correlation/correlation_validation.hpp (a CorrelationContext) and
// operations/operation_rules.hpp (structured progress).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace incursa::platform::validation {

std::string operation_name(std::string_view name);
// A filter on names ("Webhook."): 1-200 characters of UTF-8 without control
// characters, so every store reads it alike (PostgreSQL would cut it at a NUL).
void name_prefix(std::string_view prefix, std::string_view field = "name_prefix");
void tags(const std::map<std::string, std::string>& tags, std::string_view field = "tags");
std::optional<std::string> message(std::optional<std::string_view> text,
                                   std::string_view field = "message");
std::string event_kind(std::string_view kind);
std::optional<std::string> data_json(std::optional<std::string_view> json,
                                     std::string_view field = "data_json");
void percent(std::optional<double> value);
// Structured progress: current, total (when known) and unit.
void progress(std::int64_t current, std::optional<std::int64_t> total, std::string_view unit);
void page_size(std::size_t limit, std::size_t max, std::string_view field = "limit");

}  // namespace incursa::platform::validation
