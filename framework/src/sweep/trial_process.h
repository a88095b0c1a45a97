// A trial running in its own child process (`remix trial --db DB --run-id N`), so that a plugin that crashes
// or aborts fails that trial and not the sweep. The worker reads the child's stderr through a pipe, forwards
// it (prefixed with the trial name when several run at once) and keeps its tail for the database.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace remix::sweep {

class TrialProcess {
 public:
  // `args` follow the program path; `label` prefixes forwarded lines (empty: forward bytes as they come).
  TrialProcess(const std::string& program, const std::vector<std::string>& args, std::string label,
               std::int64_t run_id);
  ~TrialProcess();  // a still-running child is sent SIGTERM and reaped
  TrialProcess(const TrialProcess&) = delete;
  TrialProcess& operator=(const TrialProcess&) = delete;

  // Forwards whatever stderr output is available (waiting at most timeout_ms) and reaps the child if it has
  // exited. Returns true while it runs.
  bool poll(int timeout_ms);
  void signal(int sig);
  // After poll() returned false: the exit code, or -signal when killed.
  int exit_status() const { return exit_status_; }
  std::string stderr_tail() const;  // the last lines it printed
  std::int64_t run_id() const { return run_id_; }
  pid_t pid() const { return pid_; }
  int stderr_fd() const { return fd_; }

 private:
  void forward(const char* data, std::size_t n);
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string label_, line_, tail_;
  std::int64_t run_id_;
  bool running_ = true;
  int exit_status_ = 0;
};

// Whether `pid` on this host is still a remix process running trial `run_id` (pids are reused), or one that has
// exited and that a live worker (a process of this same program) has still to reap: that worker records how it
// ended, and another worker that marked it `interrupted` in between would turn a crash into a resumable trial. A
// zombie whose worker died too is dead, even where nobody ever reaps it.
bool trial_process_alive(std::int64_t pid, std::int64_t run_id);

}  // namespace remix::sweep
