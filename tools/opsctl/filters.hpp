// The operation filters shared by list, count and watch: each registers them on
// its subcommand and turns them into an OperationFilter after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "incursa/platform/operations/operation_query.hpp"

namespace incursa::platform::opsctl {

struct FilterOptions {
  std::vector<std::string> statuses;
  std::string name;
  std::string prefix;
  std::vector<std::string> tags;
  std::string correlation;
  std::string parent;
  std::string started_after;
  std::string started_before;
  std::string updated_after;
  std::string updated_before;

  // `with_status`: false for watch, which picks the statuses itself.
  void add_to(CLI::App& command, bool with_status = true);

  // Throws ValidationError naming the option and the text at fault.
  platform::OperationFilter build(platform::Timestamp now) const;
};

}  // namespace incursa::platform::opsctl
