// opsd's command line (docs/opsd.md, "Running opsd").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "api_context.hpp"

namespace incursa::platform::opsd {

struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 8080;

  bool loopback() const;
  // "http://127.0.0.1:8080" ([::1] for IPv6 hosts).
  std::string url() const;
};

// Parses "HOST:PORT", "[V6]:PORT" or ":PORT" (loopback). Throws std::invalid_argument.
ListenAddress parse_listen(const std::string& text);

struct OpsdOptions {
  std::optional<std::string> store;  // --store; else OPS_STORE; else the default
  ListenAddress listen{};
  std::optional<std::string> token_file;
  bool allow_anonymous_reads = false;
  std::vector<std::string> cors_origins;
  std::optional<std::string> stall_policy_file;
  std::chrono::milliseconds stall_interval = std::chrono::seconds(30);
  bool no_stall_monitor = false;
  bool demo = false;
  std::chrono::milliseconds demo_duration = std::chrono::seconds(60);
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);
  bool access_log = false;
  ServerLimits limits{};
};

// Parses argv. Returns nullopt after printing help or an error (exit code in `exit_code`).
std::optional<OpsdOptions> parse_options(int argc, char** argv, int& exit_code);

}  // namespace incursa::platform::opsd
