// Test data for opsctl: a SQLite store written through the library with a
// ManualClock and caller-chosen ids, so every table opsctl prints from it is
// the same on every run (compared with tests/opsctl/golden/*.txt).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "opsctl_runner.hpp"

namespace incursa::platform::opsctl::testing {

// The fixture's operations start at 2026-01-01T00:00:00Z; opsctl runs with this "now".
inline constexpr const char* kNow = "2026-01-01T02:00:00Z";

// A fresh directory, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes the fixture's operations, events and audit events into a new SQLite
// file at `path` (see opsctl_fixture.cpp for the story they tell).
void write_fixture_store(const std::string& path);

// "sqlite:" + path
std::string sqlite_uri(const std::string& path);

// Compares `actual` with tests/opsctl/golden/<name>.txt; with UPDATE_GOLDEN=1 in
// the environment, rewrites the file instead.
void expect_golden(const std::string& name, const std::string& actual);

// Fails unless `r` failed with `code` and exactly one stderr line "opsctl: …"
// containing `needle`, and printed nothing on stdout.
void expect_one_line_error(const RunResult& r, int code, const std::string& needle);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
std::vector<std::string> lines_of(const std::string& text);

// A suite with the fixture store written once; each test gets its own copy to change.
class OpsctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // opsctl --store <fixture> --now kNow args...
  RunResult run(std::vector<std::string> args, RunOptions options = {}) const;
  // The same against `uri`.
  RunResult run_on(const std::string& uri, std::vector<std::string> args,
                   RunOptions options = {}) const;
  // A private copy of the fixture store, for tests that write.
  std::string copy_of_fixture(const std::string& name) const;

  static TempDir* shared_;
  static std::string fixture_path_;
  TempDir dir_;
};

}  // namespace incursa::platform::opsctl::testing
