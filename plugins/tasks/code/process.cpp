// One child process under limits (see process.h). The child side is a straight list of system calls with no
// allocation: the parent may have other threads, one of which could hold the allocator's lock at fork time.
#include "tasks/code/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <system_error>

extern char** environ;

namespace remix::tasks::code {

namespace {

using Clock = std::chrono::steady_clock;

// Everything the child needs, prepared before fork.
struct ChildPlan {
  std::vector<char*> argv, envp;
  const char* cwd;
  std::vector<std::pair<int, rlim_t>> limits;
  int uid, gid;
  bool interpose;
  pid_t parent;
  int stdin_fd, output_fd, secret_fd;  // secret_fd: -1 for none
};

void say(const char* message) {
  ssize_t ignored = write(2, message, strlen(message));
  (void)ignored;
}

// The parent-death signal, set after the uid change (which clears it) and checked against a parent that
// died before it was set.
void die_with_parent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(126);
}

[[noreturn]] void run_child(const ChildPlan& plan) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);
  setsid();
  dup2(plan.stdin_fd, 0);
  dup2(plan.output_fd, 1);
  dup2(plan.output_fd, 2);
  int first_closed = 3;
  if (plan.secret_fd >= 0) {
    // dup2 clears close-on-exec on the new descriptor; when the pipe already is descriptor 3 it does nothing.
    if (plan.secret_fd == 3) fcntl(3, F_SETFD, 0);
    else dup2(plan.secret_fd, 3);
    first_closed = 4;
  }
  if (syscall(SYS_close_range, static_cast<unsigned>(first_closed), ~0u, 0u) != 0)
    for (int fd = first_closed; fd < 4096; ++fd) close(fd);
  for (const auto& [resource, value] : plan.limits) {
    rlimit r{value, resource == RLIMIT_CPU ? value + 1 : value};  // CPU: SIGXCPU first, SIGKILL a second later
    if (setrlimit(resource, &r) != 0) {
      say("sandbox: setrlimit failed\n");
      _exit(126);
    }
  }
  // Raw system calls: they change only this (the only) thread, with no glibc machinery behind them.
  if (plan.gid >= 0 && (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setgid, plan.gid) != 0)) {
    say("sandbox: cannot switch group id\n");
    _exit(126);
  }
  if (plan.uid >= 0 && syscall(SYS_setuid, plan.uid) != 0) {
    say("sandbox: cannot switch user id\n");
    _exit(126);
  }
  die_with_parent(plan.parent);
  if (chdir(plan.cwd) != 0) {
    say("sandbox: cannot enter the working directory\n");
    _exit(126);
  }
  if (plan.interpose) {
    pid_t middle = getpid();
    pid_t program = fork();
    if (program < 0) _exit(126);
    if (program > 0) {
      int status = 0;
      while (waitpid(program, &status, 0) < 0 && errno == EINTR) {
      }
      if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
      kill(getpid(), WTERMSIG(status));  // die the same way, for the caller to see
      _exit(128 + WTERMSIG(status));
    }
    die_with_parent(middle);
  }
  execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  say("sandbox: cannot execute ");
  say(plan.argv[0]);
  say("\n");
  _exit(127);
}

// SIGPIPE blocked in this thread while it writes to a program that may have closed its stdin (EPIPE is
// handled instead); a pending one is consumed before the old mask comes back.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
};

void append_capped(std::string& out, const char* data, std::size_t n, std::size_t cap, bool& overflow) {
  std::size_t room = cap > out.size() ? cap - out.size() : 0;
  out.append(data, std::min(n, room));
  if (n > room) overflow = true;
}

// Reads what is available; false at end of file.
bool read_available(int fd, std::string& out, std::size_t cap, bool& overflow) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      append_capped(out, buf, static_cast<std::size_t>(n), cap, overflow);
      if (overflow) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

bool has_exited(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

}  // namespace

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  return env;
}

ProcessResult run_process(const LaunchSpec& spec, const std::function<void()>& kill_leftovers) {
  SigpipeBlocked sigpipe_blocked;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    throw std::system_error(errno, std::generic_category(), "pipe");
  }
  // The secret goes into its pipe now (it is far smaller than a pipe's buffer) and the write end is closed:
  // the program reads it, then end of file.
  int secret[2] = {-1, -1};
  if (!spec.secret.empty()) {
    if (pipe2(secret, O_CLOEXEC) != 0) {
      for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
      throw std::system_error(errno, std::generic_category(), "pipe");
    }
    ssize_t ignored = write(secret[1], spec.secret.data(), spec.secret.size());
    (void)ignored;
    close(secret[1]);
  }
  std::vector<std::string> argv = spec.argv, env = spec.env;
  ChildPlan plan;
  for (auto& a : argv) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : env) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  plan.cwd = spec.cwd.c_str();
  const ProcessLimits& l = spec.limits;
  auto add = [&](int resource, double value) {
    if (value > 0) plan.limits.emplace_back(resource, static_cast<rlim_t>(std::ceil(value)));
  };
  add(RLIMIT_CPU, l.cpu_seconds);
  add(RLIMIT_AS, static_cast<double>(l.memory_bytes));
  add(RLIMIT_NPROC, static_cast<double>(l.processes));
  add(RLIMIT_FSIZE, static_cast<double>(l.file_bytes));
  add(RLIMIT_NOFILE, static_cast<double>(l.open_files));
  plan.limits.emplace_back(RLIMIT_CORE, 0);  // a killed program leaves no core file behind
  plan.uid = spec.uid;
  plan.gid = spec.gid;
  plan.interpose = spec.interpose;
  plan.parent = getpid();
  plan.stdin_fd = in[0];
  plan.output_fd = out[1];
  plan.secret_fd = secret[0];

  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) run_child(plan);
  int fork_errno = errno;
  close(in[0]);
  close(out[1]);
  if (secret[0] >= 0) close(secret[0]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    throw std::system_error(fork_errno, std::generic_category(), "fork");
  }
  int stdin_fd = in[1], output_fd = out[0];
  fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
  fcntl(output_fd, F_SETFL, O_NONBLOCK);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));

  ProcessResult result;
  std::size_t written = 0;
  if (spec.input.empty()) {
    close(stdin_fd);
    stdin_fd = -1;
  }
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(l.wall_seconds));
  bool output_open = true;
  while (!has_exited(pid)) {
    auto now = Clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    if (stdin_fd >= 0) fds[n++] = {stdin_fd, POLLOUT, 0};
    if (output_open) fds[n++] = {output_fd, POLLIN, 0};
    if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    poll(fds, n, static_cast<int>(pidfd >= 0 ? left : std::min<long long>(left, 5)));
    if (stdin_fd >= 0) {
      ssize_t w = write(stdin_fd, spec.input.data() + written, spec.input.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == spec.input.size()) {
        close(stdin_fd);
        stdin_fd = -1;
      }
    }
    if (output_open) output_open = read_available(output_fd, result.output, l.output_bytes, result.output_overflow);
    if (result.output_overflow) break;
  }
  // The child is not reaped yet, so its pid (the group's id) cannot have been reused. Then whatever left the
  // group (the caller's kill_leftovers).
  killpg(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (kill_leftovers) kill_leftovers();
  if (stdin_fd >= 0) close(stdin_fd);
  // Drain what is left; the pipe closes when the last process holding it is gone (give up after a moment).
  auto drain_until = Clock::now() + std::chrono::milliseconds(500);
  while (output_open && !result.output_overflow && Clock::now() < drain_until) {
    pollfd fd{output_fd, POLLIN, 0};
    poll(&fd, 1, 50);
    output_open = read_available(output_fd, result.output, l.output_bytes, result.output_overflow);
  }
  close(output_fd);
  if (pidfd >= 0) close(pidfd);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace remix::tasks::code
