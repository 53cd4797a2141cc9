// Runs the real opsd binary for a test: a child process on a free loopback port
// (--listen 127.0.0.1:0), ready once it has printed its "listening on" line,
// which the test reads from a pipe (no sleeping, no polling). Stopped with
// SIGTERM when the object goes away.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace opsd_test {

inline constexpr const char* kWriteToken = "rw-token-0123456789abcdef";
inline constexpr const char* kReadToken = "ro-token-0123456789abcdef";

struct OpsdConfig {
  std::string store = "memory:";
  std::vector<std::string> args;                       // extra flags
  std::optional<std::string> env_token = kWriteToken;  // OPSD_TOKEN
  bool read_only_token_file = true;                    // a token file with kReadToken (read-only)
  std::string listen = "127.0.0.1:0";

  OpsdConfig& with_args(std::vector<std::string> a) {
    args = std::move(a);
    return *this;
  }
  OpsdConfig& with_store(std::string s) {
    store = std::move(s);
    return *this;
  }
  OpsdConfig& without_tokens() {
    env_token.reset();
    read_only_token_file = false;
    return *this;
  }
  OpsdConfig& listening_on(std::string l) {
    listen = std::move(l);
    return *this;
  }
};

class OpsdProcess {
 public:
  explicit OpsdProcess(OpsdConfig config = {});
  ~OpsdProcess();
  OpsdProcess(const OpsdProcess&) = delete;
  OpsdProcess& operator=(const OpsdProcess&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }
  // A client with the given bearer token ("" for none).
  std::unique_ptr<httplib::Client> client(const std::string& token = kWriteToken) const;
  // What opsd wrote to stderr so far (for failure messages).
  std::string log() const;
  // Stops the process; returns its exit status (as from waitpid).
  int stop();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int stdout_fd_ = -1;
  std::filesystem::path dir_;
};

// Runs opsd to completion (for start-up failures). Returns the exit code and
// whatever it printed on stdout and stderr.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult run_opsd(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env);

// A fresh temporary directory, removed at exit of the test program.
std::filesystem::path temp_dir(const std::string& prefix);

// Headers with a bearer token and JSON content.
httplib::Headers auth(const std::string& token);

}  // namespace opsd_test
