#include "opsctl_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace incursa::platform::opsctl::testing {

namespace {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

void make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  read_end.fd = fds[0];
  write_end.fd = fds[1];
}

std::vector<std::string> child_environment(const RunOptions& options) {
  std::map<std::string, std::optional<std::string>> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const char* name : {"OPS_STORE", "OPSCTL_NOW", "NO_COLOR"}) env.erase(name);
  for (const auto& [key, value] : options.env) env[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : env) {
    if (value) out.push_back(key + "=" + *value);
  }
  return out;
}

// Reads both descriptors until each reaches end of file (or, for a terminal, EIO
// once the child has closed its side).
void drain(int out_fd, std::string& out, int err_fd, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open = 2;
  char buffer[65536];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("poll failed");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

const std::string& opsctl_path() {
  static const std::string path = INCURSA_OPSCTL_BINARY;
  return path;
}

RunResult run_opsctl(const std::vector<std::string>& args, const RunOptions& options) {
  Fd out_read, out_write, err_read, err_write, in_read, in_write;
  make_pipe(err_read, err_write);
  if (options.terminal) {
    out_read.fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (out_read.fd < 0 || ::grantpt(out_read.fd) != 0 || ::unlockpt(out_read.fd) != 0) {
      throw std::runtime_error("cannot open a pseudo-terminal");
    }
    out_write.fd = ::open(::ptsname(out_read.fd), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (out_write.fd < 0) throw std::runtime_error("cannot open the pseudo-terminal's side");
  } else {
    make_pipe(out_read, out_write);
  }
  if (options.stdin_text) {
    make_pipe(in_read, in_write);
    // A child that exits before reading everything must not kill the test with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_text) {
    posix_spawn_file_actions_adddup2(&actions, in_read.fd, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, STDERR_FILENO);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

  std::vector<std::string> argv_strings{opsctl_path()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = child_environment(options);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int spawned =
      ::posix_spawn(&pid, opsctl_path().c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    throw std::runtime_error("cannot start " + opsctl_path() + ": " + std::strerror(spawned));
  }
  // Only the child keeps these ends open, so our reads see end of file when it exits.
  out_write.reset();
  err_write.reset();
  in_read.reset();
  if (options.stdin_text) {
    // Small inputs fit the pipe; larger ones are written while the child reads.
    const std::string& text = *options.stdin_text;
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(in_write.fd, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the child stopped reading
      written += static_cast<std::size_t>(n);
    }
    in_write.reset();
  }

  RunResult result;
  drain(out_read.fd, result.out, err_read.fd, result.err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace incursa::platform::opsctl::testing
