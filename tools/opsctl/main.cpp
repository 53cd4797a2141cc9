// opsctl: operations tracking from the shell. Parses the command line (CLI11),
// runs the chosen subcommand, and turns every failure into one line on stderr
// and the documented exit code.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "context.hpp"
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_errors.hpp"

namespace {

using namespace incursa;
using namespace incursa::platform;

// Every error is one line: "opsctl: <what was wrong>".
int fail(int code, std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "opsctl: %s\n", message.c_str());
  return code;
}

int run(int argc, char** argv) {
  opsctl::Context ctx;
  ctx.program = opsctl::program_name(argc > 0 ? argv[0] : "opsctl");
  CLI::App app(
      "opsctl: what is running, what is stuck, what happened to X. Reads and changes the "
      "operations a service records with incursa::platform.",
      "opsctl");
  app.footer(
      "Run 'opsctl <command> --help' for a command's options. Docs: docs/opsctl.md.\n"
      "Exit codes: 0 ok, 1 not found, 2 bad usage or bad input, 3 store error.\n");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--store", ctx.store_flag,
                 "The store: sqlite:PATH, memory: or postgresql://... (default: $OPS_STORE, "
                 "else sqlite:./operations.db)")
      ->type_name("URI");
  // Fixes "now" for relative times, so output can be compared in tests.
  app.add_option("--now", ctx.now_flag, "Use this ISO-8601 UTC time as now (also $OPSCTL_NOW)")
      ->group("");

  opsctl::add_list_commands(app, ctx);
  opsctl::add_inspect_commands(app, ctx);
  opsctl::add_stall_commands(app, ctx);
  opsctl::add_control_commands(app, ctx);
  opsctl::add_retention_commands(app, ctx);
  opsctl::add_transfer_commands(app, ctx);
  opsctl::add_admin_commands(app, ctx);
  opsctl::add_watch_command(app, ctx);
  opsctl::add_demo_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help
    }
    std::string message = e.what();
    // CLI11 reports a misspelt command as a missing one; name what was typed instead.
    const std::vector<std::string> rest = app.remaining();
    if (app.get_subcommands().empty() && !rest.empty() && !rest.front().starts_with("-")) {
      message = "unknown command '" + rest.front() + "'";
    }
    return fail(opsctl::kBadInput, message + " (see opsctl --help)");
  }
  if (!ctx.action) return fail(opsctl::kBadInput, "a command is required (see opsctl --help)");

  try {
    const int code = ctx.action();
    std::fflush(stdout);
    return code;
  } catch (const platform::NotFoundError& e) {
    return fail(opsctl::kNotFound, e.what());
  } catch (const platform::ValidationError& e) {
    return fail(opsctl::kBadInput, e.what());
  } catch (const platform::InvalidTransitionError& e) {
    return fail(opsctl::kBadInput, e.what());
  } catch (const platform::ConflictError& e) {
    return fail(opsctl::kBadInput, e.what());
  } catch (const platform::StoreError& e) {
    return fail(opsctl::kStoreError, e.what());
  } catch (const std::exception& e) {
    return fail(opsctl::kStoreError, e.what());
  }
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
