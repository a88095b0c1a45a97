// Child processes for trials (see trial_process.h).
#include "sweep/trial_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

extern char** environ;

namespace remix::sweep {

namespace {
constexpr std::size_t kTailBytes = 16384;
}

TrialProcess::TrialProcess(const std::string& program, const std::vector<std::string>& args, std::string label,
                           std::int64_t run_id)
    : label_(std::move(label)), run_id_(run_id) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, p[1], 2);
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    throw std::runtime_error(fmt::format("cannot start {}: {}", program, std::strerror(rc)));
  }
  fd_ = p[0];
  // Non-blocking: a grandchild (a sandboxed program of a task) may hold the pipe open after the trial exits.
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

TrialProcess::~TrialProcess() {
  if (running_ && pid_ > 0) {
    kill(pid_, SIGTERM);
    while (poll(1000)) {
    }
  }
  if (fd_ >= 0) close(fd_);
}

void TrialProcess::signal(int sig) {
  if (running_) kill(pid_, sig);
}

void TrialProcess::forward(const char* data, std::size_t n) {
  tail_.append(data, n);
  if (tail_.size() > 2 * kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  if (label_.empty()) {
    fwrite(data, 1, n, stderr);
  } else {  // whole lines, each prefixed, so parallel trials do not interleave mid-line
    line_.append(data, n);
    for (std::size_t nl; (nl = line_.find('\n')) != std::string::npos; line_.erase(0, nl + 1))
      fmt::print(stderr, "[{}] {}\n", label_, line_.substr(0, nl));
  }
  fflush(stderr);
}

bool TrialProcess::poll(int timeout_ms) {
  if (!running_) return false;
  if (fd_ >= 0) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) > 0) {
      char buf[8192];
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n > 0) forward(buf, static_cast<std::size_t>(n));
      if (n == 0) {  // stderr closed: the child is exiting
        close(fd_);
        fd_ = -1;
      }
    }
  }
  int status = 0;
  pid_t r = waitpid(pid_, &status, fd_ < 0 ? 0 : WNOHANG);
  if (r == pid_) {
    running_ = false;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    if (fd_ >= 0) {  // drain what is left
      char buf[8192];
      for (ssize_t n; (n = read(fd_, buf, sizeof(buf))) > 0;) forward(buf, static_cast<std::size_t>(n));
    }
    if (!line_.empty() && !label_.empty()) forward("\n", 1);
  }
  return running_;
}

std::string TrialProcess::stderr_tail() const {
  // Keep the last lines; a progress line rewritten with '\r' keeps only its final state.
  std::string clean;
  for (std::size_t i = 0; i < tail_.size(); ++i) {
    char c = tail_[i];
    if (c == '\r') {
      auto nl = clean.rfind('\n');
      clean.erase(nl == std::string::npos ? 0 : nl + 1);
    } else if (c == '\033') {  // drop "ESC [ K"
      while (i < tail_.size() && !std::isalpha(static_cast<unsigned char>(tail_[i]))) ++i;
    } else {
      clean += c;
    }
  }
  if (clean.size() > kTailBytes) clean.erase(0, clean.size() - kTailBytes);
  return clean;
}

namespace {
std::string read_proc(std::int64_t pid, const char* file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The command line with its arguments joined by spaces.
std::string command_line(std::int64_t pid) {
  std::string cmdline = read_proc(pid, "cmdline");
  for (auto& c : cmdline)
    if (c == '\0') c = ' ';
  return cmdline;
}

// The file name of the program `pid` runs ("" when unreadable); a program replaced on disk since it started reads
// as "NAME (deleted)", which counts as the same program.
std::string program_name(std::int64_t pid) {
  std::error_code error;
  auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", error);
  if (error) return "";
  std::string name = exe.filename().string();
  const std::string deleted = " (deleted)";
  if (name.size() > deleted.size() && name.compare(name.size() - deleted.size(), deleted.size(), deleted) == 0)
    name.resize(name.size() - deleted.size());
  return name;
}

// The state letter ('\0' when there is no such process) and the parent pid; the state follows the parenthesised
// name, which may hold spaces.
std::pair<char, std::int64_t> state_and_parent(std::int64_t pid) {
  if (pid <= 0) return {'\0', 0};
  std::string stat = read_proc(pid, "stat");
  auto name_end = stat.rfind(')');
  if (name_end == std::string::npos || name_end + 2 >= stat.size()) return {'\0', 0};
  char state = stat[name_end + 2];
  std::int64_t parent = std::strtoll(stat.c_str() + name_end + 3, nullptr, 10);
  return {state, parent};
}
}  // namespace

bool trial_process_alive(std::int64_t pid, std::int64_t run_id) {
  if (pid <= 0 || (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) return false;
  auto [state, parent] = state_and_parent(pid);
  // A zombie has no command line left. It is a trial whose worker has still to reap it and record how it ended
  // when its parent is a live worker, a process of the same program as this one; one whose worker died too was
  // handed to an init or subreaper that may never reap it (a container's PID 1), and is as dead as its worker.
  if (state == 'Z') {
    char parent_state = state_and_parent(parent).first;
    return parent_state != 'Z' && parent_state != '\0' && program_name(parent) == program_name(getpid());
  }
  std::string cmdline = command_line(pid);
  // A worker between claim and start, or the trial process itself.
  return cmdline.find("remix") != std::string::npos &&
         (cmdline.find("--run-id " + std::to_string(run_id) + " ") != std::string::npos ||
          cmdline.find(" trial ") == std::string::npos);
}

}  // namespace remix::sweep
