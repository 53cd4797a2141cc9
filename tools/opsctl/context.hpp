// What every subcommand shares: the global options (--store, --now), the clock,
// opening the store, and how results are printed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "incursa/platform/clock.hpp"
#include "incursa/platform/operations/operation_store.hpp"
#include "incursa/platform/operations/tracker.hpp"
#include "incursa/tools/store_config.hpp"
#include "incursa/tools/style.hpp"

namespace incursa::platform::opsctl {

using platform::Timestamp;

// The documented exit codes (docs/opsctl.md).
enum ExitCode : int {
  kOk = 0,
  kNotFound = 1,
  kBadInput = 2,
  kStoreError = 3,
};

class Context {
 public:
  Context();

  // --store / $OPS_STORE / the default.
  std::string store_uri() const;
  // The same, fit to print: no password or secret query parameter (redact_store_uri).
  std::string shown_store_uri() const;
  std::shared_ptr<platform::OperationStore> open(tools::OpenMode mode) const;

  // "Now": --now or $OPSCTL_NOW when given (so output is reproducible), else the
  // system clock. A tracker built by tracker() writes with this clock too.
  Timestamp now() const;
  std::shared_ptr<const platform::Clock> clock() const;
  platform::Tracker tracker(std::shared_ptr<platform::OperationStore> store) const;

  const tools::Style& style() const noexcept { return style_; }

  // Writes `text` to stdout as is.
  void print(const std::string& text) const;
  // One JSON document on one line.
  void print_json(const nlohmann::ordered_json& document) const;

  // Set by the subcommand's CLI11 callback; run after parsing succeeds.
  std::function<int()> action;

  // How to invoke this opsctl again, for hints: "opsctl", or the path it was
  // started by (relative to the working directory when that is shorter).
  std::string program = "opsctl";

  // Bound to the global options.
  std::string store_flag;
  std::string now_flag;

 private:
  std::string fixed_now() const;

  tools::Style style_;
};

// Adds each subcommand group to `app`; the subcommand's callback fills ctx.action.
void add_list_commands(CLI::App& app, Context& ctx);       // list, count
void add_inspect_commands(CLI::App& app, Context& ctx);    // show, events, timeline, children
void add_stall_commands(CLI::App& app, Context& ctx);      // stalled, mark-stalled
void add_control_commands(CLI::App& app, Context& ctx);    // cancel, complete
void add_retention_commands(CLI::App& app, Context& ctx);  // purge
void add_transfer_commands(CLI::App& app, Context& ctx);   // export, import
void add_admin_commands(CLI::App& app, Context& ctx);      // migrate, backup
void add_watch_command(CLI::App& app, Context& ctx);       // watch
void add_demo_command(CLI::App& app, Context& ctx);        // demo

// A subcommand with the footer every subcommand's --help carries (the global options).
CLI::App* add_subcommand(CLI::App& app, const std::string& name, const std::string& description);

// `argv0` as a hint should spell it: "opsctl" when found on the PATH that way,
// else the path, made relative to the working directory when that is shorter.
std::string program_name(const std::string& argv0);

// An operation id from the command line; ValidationError names `what` and the text.
platform::OperationId parse_id(const std::string& text, const std::string& what = "ID");

}  // namespace incursa::platform::opsctl
