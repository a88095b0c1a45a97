// Runs Python programs (a candidate solution followed by its tests) and says which passed.
//
// A program passes only when it ran to its end: a runner reads the program from stdin, points stdin at
// /dev/null, executes the program, and after it returns reads a fresh random marker (128 bits) from a pipe on
// descriptor 3 and prints it. The marker is never in a file, the command line or the environment, nor in the
// interpreter while the program runs, so a program that exits early (exit(0), os._exit(0), a killed parent),
// fails an assert, or walks the frames back to the runner never prints it; a program that reads descriptor 3
// itself (imitating the runner) could, and nothing in one process can tell it from the runner (the README's
// isolation notes say so). It must also exit with status 0 within the limits.
//
// On construction the executor picks the sandbox (sandbox.h) and the interpreter (python.h): for `auto`,
// bubblewrap when it works here, else rlimits with a warning; the first interpreter candidate that runs a
// probe program in that sandbox. Samples run in parallel on `workers` threads, each with its own sandbox uid
// when running as root.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tasks/code/sandbox.h"

namespace remix::tasks::code {

struct ExecutorOptions {
  std::string python = "auto";   // "auto", a name on PATH, or a path
  std::string sandbox = "auto";  // "auto", "bubblewrap" or "rlimits"
  int workers = 2;
  SandboxSettings settings;
  std::int64_t uid_base = 1900000000;       // root only: the first uid tried for samples
  std::string param_prefix = "tasks.code";  // for messages naming parameters
  std::function<void(const std::string&)> warn;
};

// Passed; Failed: exited non-zero (an exception, a failed assert); TimedOut: the wall clock ran out;
// OutputLimit: printed too much; Killed: a signal ended it (a CPU or file-size limit, or itself); EarlyExit:
// exited with status 0 but before its tests finished.
enum class Outcome { Passed, Failed, TimedOut, OutputLimit, Killed, EarlyExit };
// "passed", "failed", "timed_out", "output_limit", "killed", "exited_early" (the keys of the task's stats).
const char* outcome_name(Outcome outcome);

struct SampleResult {
  Outcome outcome = Outcome::Failed;
  bool passed() const { return outcome == Outcome::Passed; }
  int exit_code = -1;
  int signal = 0;
  std::string output;  // what the program printed (capped), without the marker
  double seconds = 0;
};

class SandboxUids;

class Executor {
 public:
  // Throws EnvironmentError: no python3, the sandbox asked for cannot run here, no interpreter runs in it.
  explicit Executor(ExecutorOptions options);
  ~Executor();

  std::vector<SampleResult> run(const std::vector<std::string>& programs) const;
  SampleResult run_one(const std::string& program, int slot) const;

  SandboxKind sandbox_kind() const { return sandbox_->kind(); }
  const PythonInterpreter& python() const { return sandbox_->python(); }
  // What ran, for the run's tags: sandbox kind, interpreter, uid, limits.
  std::map<std::string, std::string> describe() const;

 private:
  ExecutorOptions options_;
  std::unique_ptr<SandboxUids> uids_;
  std::unique_ptr<Sandbox> sandbox_;
};

}  // namespace remix::tasks::code
