// Runs the real opsctl binary as a child process and captures what it did:
// stdout, stderr and the exit code. Waits for the child to exit; never sleeps.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace incursa::platform::opsctl::testing {

struct RunResult {
  int exit_code = -1;  // 128 + signal number if the child was killed by a signal
  std::string out;
  std::string err;
};

struct RunOptions {
  // Set (or, with nullopt, remove) in the child's environment. OPS_STORE,
  // OPSCTL_NOW and NO_COLOR are removed unless given here.
  std::map<std::string, std::optional<std::string>> env{};
  std::optional<std::string> stdin_text{};  // default: /dev/null
  std::string cwd{};                        // default: the test's own
  // Connect stdout to a pseudo-terminal instead of a pipe (isatty() is true).
  bool terminal = false;
};

// The path of the opsctl under test (set at build time).
const std::string& opsctl_path();

// Runs `opsctl args...`. Throws std::runtime_error if it cannot be started.
RunResult run_opsctl(const std::vector<std::string>& args, const RunOptions& options = {});

}  // namespace incursa::platform::opsctl::testing
