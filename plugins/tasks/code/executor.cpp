// Choosing the sandbox and interpreter, and running samples in parallel with the completion marker
// (see executor.h).
#include "tasks/code/executor.h"

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "remix/errors.h"
#include "tasks/code/sandbox_uids.h"
#include "tasks/common/text.h"

namespace remix::tasks::code {

namespace {

// Reads the program from stdin, cuts stdin off, runs the program as __main__, and only when it returned reads
// the marker from descriptor 3 (a pipe the executor filled) and prints it. While the program runs the marker
// is in no Python object, frame or constant of this interpreter: walking the frames back to this runner finds
// none. SystemExit, os._exit and uncaught exceptions all end the process before the marker is read.
constexpr const char* kRunner = R"PY(
import os, sys
def _remix_run():
    source = sys.stdin.buffer.read()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    code = compile(source.decode("utf-8", "replace"), "program.py", "exec")
    del source
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, b"\n" + os.read(3, 64) + b"\n")
    os._exit(0)
_remix_run()
)PY";

std::string fresh_marker() {
  std::random_device entropy;  // the kernel's random source
  static const char* hex = "0123456789abcdef";
  std::string marker = "remix-done-";
  for (int i = 0; i < 4; ++i) {
    std::uint32_t word = entropy();
    for (int nibble = 0; nibble < 8; ++nibble) marker += hex[(word >> (4 * nibble)) & 0xf];
  }
  return marker;
}

}  // namespace

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::Passed: return "passed";
    case Outcome::Failed: return "failed";
    case Outcome::TimedOut: return "timed_out";
    case Outcome::OutputLimit: return "output_limit";
    case Outcome::Killed: return "killed";
    case Outcome::EarlyExit: return "exited_early";
  }
  return "unknown";
}

Executor::Executor(ExecutorOptions options) : options_(std::move(options)) {
  PythonCandidates pythons = find_pythons(options_.python, options_.param_prefix + ".python");
  if (geteuid() == 0) uids_ = std::make_unique<SandboxUids>(options_.uid_base, std::max(1, options_.workers));

  std::vector<SandboxKind> kinds;
  auto bwrap = find_on_path("bwrap");
  if (options_.sandbox != "rlimits") {
    if (!bwrap.empty())
      kinds.push_back(SandboxKind::Bubblewrap);
    else if (options_.sandbox == "bubblewrap")
      throw EnvironmentError(options_.param_prefix +
                             ".sandbox is bubblewrap, but bwrap is not on PATH; install it "
                             "(Debian: apt-get install bubblewrap) or set sandbox: auto");
  }
  if (options_.sandbox != "bubblewrap") kinds.push_back(SandboxKind::Rlimits);

  std::vector<std::string> failures = pythons.rejected;
  for (SandboxKind kind : kinds) {
    for (const auto& py : pythons.usable) {
      sandbox_ = std::make_unique<Sandbox>(kind, bwrap.empty() ? "" : bwrap[0], py, options_.settings);
      SampleResult probe = run_one("print('probe')\n", 0);
      if (probe.passed()) break;
      failures.push_back(std::string(sandbox_name(kind)) + " with " + py.executable + ": " +
                         outcome_name(probe.outcome) + ": " + trim(probe.output).substr(0, 300));
      sandbox_.reset();
    }
    if (sandbox_) break;
  }
  std::string why;
  for (const auto& f : failures) why += (why.empty() ? "" : "; ") + f;
  if (!sandbox_)
    throw EnvironmentError("the code task cannot run python3 samples here (" + why + "); set " + options_.param_prefix +
                           ".python to an interpreter every user can run, e.g. "
                           "/usr/bin/python3, or " +
                           options_.param_prefix + ".sandbox");
  if (options_.warn && !failures.empty())
    options_.warn("code samples run under " + std::string(sandbox_name(sandbox_->kind())) + " with " +
                  python().executable + "; what did not work: " + why);
  if (options_.warn && sandbox_->kind() == SandboxKind::Rlimits && options_.sandbox == "auto")
    options_.warn(std::string(bwrap.empty() ? "bubblewrap (bwrap) is not installed" : "bubblewrap does not work here") +
                  ": code samples run under rlimits and their own process group only, without filesystem or "
                  "network isolation (Debian: apt-get install bubblewrap)");
}

Executor::~Executor() = default;

SampleResult Executor::run_one(const std::string& program, int slot) const {
  std::string marker = fresh_marker();
  int uid = uids_ ? uids_->acquire(slot) : -1;
  ProcessResult r = sandbox_->run(kRunner, program, marker, uid);
  SampleResult s;
  s.exit_code = r.exit_code;
  s.signal = r.signal;
  s.seconds = r.seconds;
  std::string printed = "\n" + marker + "\n";
  auto at = r.output.find(printed);
  s.output = at == std::string::npos ? r.output : r.output.substr(0, at) + r.output.substr(at + printed.size());
  if (r.timed_out)
    s.outcome = Outcome::TimedOut;
  else if (r.output_overflow)
    s.outcome = Outcome::OutputLimit;
  else if (r.signal != 0)
    s.outcome = Outcome::Killed;
  else if (at != std::string::npos && r.exit_code == 0)
    s.outcome = Outcome::Passed;
  else if (r.exit_code == 0)
    s.outcome = Outcome::EarlyExit;
  else
    s.outcome = Outcome::Failed;
  return s;
}

std::vector<SampleResult> Executor::run(const std::vector<std::string>& programs) const {
  std::vector<SampleResult> results(programs.size());
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&](int slot) {
    try {
      for (std::size_t i; (i = next++) < programs.size();) results[i] = run_one(programs[i], slot);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = programs.size();
    }
  };
  std::vector<std::thread> threads;
  int n = static_cast<int>(std::min<std::size_t>(std::max(1, options_.workers), programs.size()));
  for (int slot = 0; slot < n; ++slot) threads.emplace_back(worker, slot);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return results;
}

std::map<std::string, std::string> Executor::describe() const {
  std::string user = "this process's user";
  if (uids_) user = "uid " + std::to_string(uids_->first()) + "-" + std::to_string(uids_->last());
  return {{"sandbox", sandbox_name(sandbox_->kind())},
          {"python", python().executable},
          {"python_version", python().version},
          {"sandbox_user", user}};
}

}  // namespace remix::tasks::code
