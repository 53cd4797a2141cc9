#include "filters.hpp"

#include "context.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/tools/durations.hpp"

namespace incursa::platform::opsctl {

void FilterOptions::add_to(CLI::App& c, bool with_status) {
  const char* filters = "Filters";
  if (with_status) {
    c.add_option("--status", statuses,
                 "Only these statuses: Pending, Running, Succeeded, Failed, Canceled, Stalled "
                 "(repeat, or separate with commas)")
        ->delimiter(',')
        ->type_name("STATUS")
        ->group(filters);
  }
  c.add_option("--name", name, "Only this exact operation name")->type_name("NAME")->group(filters);
  c.add_option("--prefix", prefix, "Only names starting with this (e.g. Webhook.)")
      ->type_name("PREFIX")
      ->group(filters);
  c.add_option("--tag", tags, "Only operations with this tag (repeat: all must match)")
      ->type_name("KEY=VALUE")
      ->group(filters);
  c.add_option("--correlation", correlation, "Only this correlation id")
      ->type_name("ID")
      ->group(filters);
  c.add_option("--parent", parent, "Only direct children of this operation")
      ->type_name("ID")
      ->group(filters);
  const char* time_help = " (ISO-8601 UTC, or a duration ago such as 2h)";
  c.add_option("--started-after", started_after,
               std::string("Only operations started at or after this time") + time_help)
      ->type_name("TIME")
      ->group(filters);
  c.add_option("--started-before", started_before,
               std::string("Only operations started before this time") + time_help)
      ->type_name("TIME")
      ->group(filters);
  c.add_option("--updated-after", updated_after,
               std::string("Only operations last written at or after this time") + time_help)
      ->type_name("TIME")
      ->group(filters);
  c.add_option("--updated-before", updated_before,
               std::string("Only operations last written before this time") + time_help)
      ->type_name("TIME")
      ->group(filters);
}

platform::OperationFilter FilterOptions::build(platform::Timestamp now) const {
  platform::OperationFilter f;
  for (const std::string& s : statuses) {
    f.statuses = f.statuses.with(platform::parse_operation_status(s, "--status '" + s + "'"));
  }
  if (!name.empty()) f.name = name;
  if (!prefix.empty()) f.name_prefix = prefix;
  for (const std::string& tag : tags) {
    const auto eq = tag.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw platform::ValidationError("--tag '" + tag + "'", "must be KEY=VALUE");
    }
    f.tags[tag.substr(0, eq)] = tag.substr(eq + 1);
  }
  if (!correlation.empty()) {
    try {
      f.correlation_id = platform::CorrelationId::parse(correlation);
    } catch (const platform::ValidationError& e) {
      throw platform::ValidationError("--correlation '" + correlation + "'", e.rule());
    }
  }
  if (!parent.empty()) f.parent_id = parse_id(parent, "--parent");
  const auto time = [&](const std::string& text, const char* option) {
    return text.empty() ? std::nullopt : std::optional(tools::parse_time_arg(text, option, now));
  };
  f.started_from = time(started_after, "--started-after");
  f.started_to = time(started_before, "--started-before");
  f.updated_from = time(updated_after, "--updated-after");
  f.updated_to = time(updated_before, "--updated-before");
  return f;
}

}  // namespace incursa::platform::opsctl
