#include "opsd_process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace opsd_test {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);

// Tests write to sockets the server may close (oversized bodies, refused
// requests): that must be a failed write, not the death of the test program.
const bool kIgnoreSigpipe = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

[[noreturn]] void exec_opsd(const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env) {
  std::vector<char*> argv;
  std::string binary = OPSD_BINARY;
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  unsetenv("OPSD_TOKEN");
  unsetenv("OPS_STORE");
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  execv(binary.c_str(), argv.data());
  _exit(127);
}

// Reads one line from `fd`, waiting at most until `deadline`.
std::optional<std::string> read_line(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string line;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char c = 0;
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0) return std::nullopt;
    if (c == '\n') return line;
    line.push_back(c);
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

std::filesystem::path temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

httplib::Headers auth(const std::string& token) {
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  return h;
}

OpsdProcess::OpsdProcess(OpsdConfig config) : dir_(temp_dir("opsd-test")) {
  std::vector<std::string> args = {"--listen", config.listen, "--store", config.store};
  if (config.read_only_token_file) {
    const auto file = dir_ / "tokens";
    std::ofstream(file) << "# test tokens\nread-only " << kReadToken << " dashboard\n";
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    args.insert(args.end(), {"--token-file", file.string()});
  }
  args.insert(args.end(), config.args.begin(), config.args.end());
  std::map<std::string, std::string> env;
  if (config.env_token) env["OPSD_TOKEN"] = *config.env_token;

  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  const std::string err_path = (dir_ / "stderr.log").string();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // If the test program dies (a crash, a timeout kill), opsd goes with it.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(out[1], STDOUT_FILENO);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err >= 0) dup2(err, STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    exec_opsd(args, env);
  }
  close(out[1]);
  const auto line = read_line(out[0], std::chrono::steady_clock::now() + kStartTimeout);
  stdout_fd_ = out[0];  // kept open: a write to a closed pipe would kill opsd
  const std::string prefix = "listening on http://";
  const auto colon = line ? line->rfind(':') : std::string::npos;
  if (!line || line->rfind(prefix, 0) != 0 || colon == std::string::npos) {
    stop();
    throw std::runtime_error("opsd did not start: " + line.value_or("(no output)") + "\n" + log());
  }
  port_ = std::stoi(line->substr(colon + 1));
}

OpsdProcess::~OpsdProcess() {
  const bool running = pid_ > 0;
  const int status = stop();
  // A clean SIGTERM stop exits 0; anything else (a crash, a sanitizer report at
  // exit, a hang that needed SIGKILL) fails the test that owned this process.
  if (running && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    ADD_FAILURE() << "opsd did not stop cleanly (wait status " << status << "):\n" << log();
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

int OpsdProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  // opsd stops promptly on SIGTERM; a hung one is killed so the suite ends.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    pollfd none{};
    poll(&none, 0, 20);
  }
  pid_ = -1;
  return status;
}

std::string OpsdProcess::log() const {
  std::ifstream in(dir_ / "stderr.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<httplib::Client> OpsdProcess::client(const std::string& token) const {
  auto c = std::make_unique<httplib::Client>(host(), port_);
  c->set_connection_timeout(5);
  c->set_read_timeout(30);
  c->set_write_timeout(5);
  if (!token.empty()) c->set_bearer_token_auth(token);
  return c;
}

RunResult run_opsd(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env) {
  int out[2];
  int err[2];
  if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    close(err[0]);
    close(err[1]);
    exec_opsd(args, env);
  }
  close(out[1]);
  close(err[1]);
  RunResult r;
  r.out = read_all(out[0]);
  r.err = read_all(err[0]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace opsd_test
