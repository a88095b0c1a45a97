// The two ways a code sample runs, and the one function that runs it.
//
// bubblewrap: `bwrap` gives the program a new root holding only the system folders (/usr, /bin, /lib...)
//   and the interpreter's prefixes, all read-only, a private /proc and /dev, and two small private tmpfs
//   folders (/tmp and the working folder /sandbox, `scratch_bytes` each); it unshares every namespace
//   (user, pid, network, ipc, uts, cgroup: no network at all; the program sees only its own processes), starts
//   it in a new session as the pid namespace's init, and dies with its parent (taking the pid namespace, so
//   every process of the sample, with it). The rlimits apply inside. As the namespace's init the program
//   cannot be killed by signals from inside the sandbox (its own included).
// rlimits: the interpreter runs directly, in a fresh folder under the temp dir (its TMPDIR, TEMP and TMP too,
//   removed with it), in its own session and process group, under the rlimits, behind an interposed waiting
//   parent (process.h). It can read what its user can read, write to world-writable folders (/tmp, /dev/shm)
//   and use the network; as root (a uid of its own) what it leaves in /tmp, /var/tmp and /dev/shm is removed
//   after it, as another user it stays. The samples' folders live in one remix-code-* folder per executor,
//   locked while its process lives; a new executor removes those of processes that died (a SIGKILLed trial).
// In both, as root the program runs as an unprivileged uid of its own (sandbox_uids.h), which makes the
// process limit hold (root is exempt from it) and keeps it from writing anything of root's or signalling
// other processes; as another user it runs as that user and its process limit counts that user's processes.
#pragma once

#include <cstdint>
#include <string>

#include "tasks/code/process.h"
#include "tasks/code/python.h"

namespace remix::tasks::code {

enum class SandboxKind { Bubblewrap, Rlimits };
const char* sandbox_name(SandboxKind kind);

struct SandboxSettings {
  ProcessLimits limits;                   // processes: what the program itself may run, itself included
  std::int64_t scratch_bytes = 32 << 20;  // bubblewrap: size of /tmp and of /sandbox
  std::string label;                      // on the interpreter's command line, to tell its processes apart
};

class Sandbox {
 public:
  Sandbox(SandboxKind kind, std::string bwrap, PythonInterpreter python, SandboxSettings settings);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Runs `python -s -B -c <script> <label>` with `input` on stdin and `secret` waiting on descriptor 3, as
  // `uid` (-1 = this process's). Afterwards nothing of the run is left: its folder goes, and as root every
  // file `uid` left in /tmp, /var/tmp and /dev/shm (rlimits; bubblewrap gives it private ones).
  ProcessResult run(const std::string& script, const std::string& input, const std::string& secret, int uid) const;

  SandboxKind kind() const { return kind_; }
  const PythonInterpreter& python() const { return python_; }

 private:
  LaunchSpec launch_spec(const std::string& script, const std::string& input, const std::string& secret, int uid,
                         const std::string& workdir) const;

  SandboxKind kind_;
  std::string bwrap_;
  PythonInterpreter python_;
  SandboxSettings settings_;
  std::string root_;  // rlimits: the folder the samples' working folders are made in
  int root_lock_ = -1;  // rlimits: flock()ed while this process lives, so others know root_ is in use
};

}  // namespace remix::tasks::code
