// Running one untrusted program as a child process under limits, and getting back what it printed.
//
// The child starts a session of its own (so it is the leader of a new process group), gets rlimits on CPU
// time, address space, processes, file size and open files, optionally switches to another uid, and is
// killed with SIGKILL with its whole process group when it outlives the wall-clock limit or prints more than
// the output limit (what it printed is kept up to that limit, so a program printing 100 MB costs 64 KiB). A
// caller-given `kill_leftovers` runs after the child is reaped (e.g. killing every process of the sandbox
// uid, which catches programs that left the group). The parent-death signal kills the child if this process
// dies. Safe to call from several threads at once: the child does only async-signal-safe system
// calls between fork and exec, and inherits no file descriptor but its own stdin/stdout/stderr (and the
// secret's pipe on descriptor 3 when there is one).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace remix::tasks::code {

struct ProcessLimits {
  double wall_seconds = 10;
  double cpu_seconds = 10;             // RLIMIT_CPU (per process), 0 = unchanged
  std::int64_t memory_bytes = 0;       // RLIMIT_AS, 0 = unchanged
  std::int64_t processes = 0;          // RLIMIT_NPROC (tasks of the uid), 0 = unchanged
  std::int64_t file_bytes = 0;         // RLIMIT_FSIZE, 0 = unchanged
  std::int64_t open_files = 0;         // RLIMIT_NOFILE, 0 = unchanged
  std::size_t output_bytes = 1 << 20;  // stdout + stderr kept; more kills the program
};

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::vector<std::string> env;   // the whole environment, "KEY=value"
  std::string cwd = "/";
  std::string input;  // written to stdin, which is then closed
  // Waiting for the program on descriptor 3, a pipe holding these bytes (empty: no descriptor 3): for what the
  // program should read only when it chooses to, not at start from stdin.
  std::string secret;
  ProcessLimits limits;
  int uid = -1, gid = -1;  // switch to these ids before exec (needs root); -1 keeps this process's
  // Run the program as the child of a plain process that only waits for it, so that the program's parent is
  // not this process (a program that kills its parent then kills only that one, and dies with it).
  bool interpose = false;
};

struct ProcessResult {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal killed it
  bool timed_out = false;
  bool output_overflow = false;
  std::string output;  // stdout and stderr as they interleaved, at most limits.output_bytes
  double seconds = 0;  // wall-clock time
};

// Throws std::system_error when no process can be started (fork or pipe failing).
ProcessResult run_process(const LaunchSpec& spec, const std::function<void()>& kill_leftovers = {});

// The environment of this process, "KEY=value" (for running trusted helpers as the user would).
std::vector<std::string> current_environment();

}  // namespace remix::tasks::code
