#include "context.hpp"

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "incursa/platform/error.hpp"
#include "incursa/platform/stores/store_factory.hpp"

namespace incursa::platform::opsctl {

namespace {

constexpr const char* kNowEnvironmentVariable = "OPSCTL_NOW";

constexpr const char* kGlobalFooter =
    "Global options (before or after the subcommand):\n"
    "  --store URI   the store: sqlite:PATH, memory: or postgresql://...\n"
    "                (default: $OPS_STORE, else sqlite:./operations.db)\n"
    "\n"
    "Exit codes: 0 ok, 1 not found, 2 bad usage or bad input, 3 store error.\n";

}  // namespace

Context::Context() : style_(tools::Style::for_fd(STDOUT_FILENO)) {}

std::string Context::store_uri() const {
  return tools::resolve_store_uri(store_flag.empty() ? std::nullopt
                                                     : std::optional<std::string>(store_flag));
}

std::string Context::shown_store_uri() const { return platform::redact_store_uri(store_uri()); }

std::shared_ptr<platform::OperationStore> Context::open(tools::OpenMode mode) const {
  return tools::open_tool_store(store_uri(), mode);
}

std::string Context::fixed_now() const {
  if (!now_flag.empty()) return now_flag;
  const char* env = std::getenv(kNowEnvironmentVariable);
  return env ? env : "";
}

Timestamp Context::now() const {
  const std::string fixed = fixed_now();
  if (fixed.empty()) return std::chrono::system_clock::now();
  try {
    return platform::parse_iso8601(fixed, "--now");
  } catch (const platform::ValidationError& e) {
    throw platform::ValidationError("--now '" + fixed + "'", e.rule());
  }
}

std::shared_ptr<const platform::Clock> Context::clock() const {
  if (fixed_now().empty()) return platform::SystemClock::instance();
  return std::make_shared<platform::ManualClock>(now());
}

platform::Tracker Context::tracker(std::shared_ptr<platform::OperationStore> store) const {
  return platform::Tracker(std::move(store), platform::TrackerOptions{.clock = clock()});
}

void Context::print(const std::string& text) const {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void Context::print_json(const nlohmann::ordered_json& document) const {
  print(document.dump() + "\n");
}

CLI::App* add_subcommand(CLI::App& app, const std::string& name, const std::string& description) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->footer(kGlobalFooter);
  return sub;
}

std::string program_name(const std::string& argv0) {
  if (argv0.find('/') == std::string::npos) return argv0.empty() ? "opsctl" : argv0;
  std::error_code ec;
  const std::filesystem::path relative = std::filesystem::relative(argv0, ec);
  if (ec || relative.empty() || relative.string().size() >= argv0.size()) return argv0;
  const std::string text = relative.string();
  return text.find('/') == std::string::npos ? "./" + text : text;
}

platform::OperationId parse_id(const std::string& text, const std::string& what) {
  try {
    return platform::OperationId::parse(text);
  } catch (const platform::ValidationError& e) {
    throw platform::ValidationError(what + " '" + text + "'", e.rule());
  }
}

}  // namespace incursa::platform::opsctl
