// The one place that checks input (SPEC §7). Each function either returns the
// normalised value (trimmed; blank messages become "none") or throws a
// ValidationError naming the field and the rule. Nothing here touches a store.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "incursa/platform/correlation/correlation_context.hpp"
#include "incursa/platform/operations/operation_snapshot.hpp"

namespace incursa::platform::validation {

std::string operation_name(std::string_view name);
void tags(const Tags& tags, std::string_view field = "tags");
std::optional<std::string> message(std::optional<std::string_view> text,
                                   std::string_view field = "message");
std::string event_kind(std::string_view kind);
std::optional<std::string> data_json(std::optional<std::string_view> json,
                                     std::string_view field = "data_json");
void percent(std::optional<double> value);
void progress(const std::optional<StructuredProgress>& progress);
void correlation(const CorrelationContext& context);
void page_size(std::size_t limit, std::size_t max, std::string_view field = "limit");

}  // namespace incursa::platform::validation
