// A child process driven over pipes, for the tests that run real processes
// (several writers on one store, kill -9 in the middle of a write).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace incursa::platform::testing {

// A child process with its stdin and stdout connected to us through pipes.
// Constructing one ignores SIGPIPE in this process, so writing to a child that
// was killed on purpose fails the write instead of killing the test.
class Child {
 public:
  // Starts `program` with `args` (argv[0] is `program`). Throws std::runtime_error.
  Child(const std::string& program, const std::vector<std::string>& args);
  ~Child();  // kills and reaps the child if it is still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The next line from the child's stdout, without the newline; nullopt at EOF
  // (a line the child never finished is not a line it acknowledged).
  std::optional<std::string> read_line();
  // Throws std::runtime_error when the child's stdin is closed.
  void write_line(const std::string& line);
  void close_stdin();
  // SIGKILL, unless it was reaped already (its output then reaches EOF).
  void kill_hard();
  // Waits for the child to exit; returns the raw wait status (0 if reaped before).
  int wait();
  pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;
  bool reaped_ = false;
};

}  // namespace incursa::platform::testing
