// What tests need from their surroundings: where the build put the remix binary and the plugins, the
// shared datasets (tests that need them skip with a message when ../shared is absent), temporary folders,
// and running a program as a separate process to check its exit code and output.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace remix::test {

std::string remix_bin();
std::string store_writer_bin();
std::string plugin_dir();       // build/plugins: the real plugins
std::string test_plugin_dir();  // build/tests/plugins: the loader-test plugins
std::string source_dir();
// ../shared beside the repository, if it is there.
std::optional<std::string> shared_dir();

#define REMIX_REQUIRE_SHARED(var)                                                          \
  auto var##_opt = ::remix::test::shared_dir();                                            \
  if (!var##_opt) GTEST_SKIP() << "../shared is absent: this test needs its data files"; \
  const std::string var = *var##_opt

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// Environment variables set (a value) or unset (nullopt) for a scope, and put back as they were at its exit. The
// test binary runs many tests in one process when run by hand (ctest gives each its own), so a variable a test
// leaves behind — a TMPDIR its TempDir has removed, a RANK — would break the tests after it.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::optional<std::string>>& vars);
  ScopedEnv(const std::string& name, const std::optional<std::string>& value) : ScopedEnv({{name, value}}) {}
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

struct CommandResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string out, err;
};
// Runs argv[0] with arguments, capturing stdout and stderr; `env` entries are added to the environment.
CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          const std::string& cwd = "");

// `remix ARGS` (the built binary) with the plugins it was built with, and with the fixture plugins of
// tests/fixtures/plugins first on its plugin path.
CommandResult run_remix(std::vector<std::string> args);
CommandResult run_remix_fixtures(std::vector<std::string> args);

// A child process whose stdout is read line by line while it runs. With `merge_stderr` its stderr comes
// through the same pipe (otherwise it goes to the test's stderr); with `own_group` it leads a new process
// group, so kill_group reaches it and everything it started.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv, bool merge_stderr = false, bool own_group = false);
  ~ChildProcess();  // kills and reaps it if still running
  // The next line of stdout, or nullopt at end of output.
  std::optional<std::string> read_line();
  void kill(int signal);
  void kill_group(int signal);
  int wait();  // exit code, or -signal
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string buffer_;
};

std::string read_file(const std::string& path);
// Flips `count` bytes in the middle of a file, as a failing disk or a bad copy would.
void flip_bytes(const std::string& path, int count);

// Config sections that make a whole trial take about a second: a 1-layer 16-wide base pretrained for three
// steps (cached under dir/base_cache), two training steps, a handful of evaluation examples. For tests of
// what surrounds training (CLI, workers, sweeps), not of what training learns.
std::string tiny_trial_yaml(const TempDir& dir);

// The message of the `Error` that `fn` throws, or "<no Error>" when it throws none (so a test can check the
// message with one EXPECT and still fail clearly when nothing was thrown).
template <class Error>
std::string error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error of the expected type>";
}

}  // namespace remix::test
