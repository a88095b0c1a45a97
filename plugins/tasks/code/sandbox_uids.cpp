// Claiming sandbox uids, picking an idle one, and killing what runs as them (see sandbox_uids.h).
#include "tasks/code/sandbox_uids.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "remix/errors.h"

namespace remix::tasks::code {

namespace {

// A folder only root can write, for the lock files; refuses one someone else could have prepared.
std::string lock_dir() {
  std::string dir = access("/run", W_OK) == 0 ? "/run/remix-sandbox"
                                              : (std::filesystem::temp_directory_path() / "remix-sandbox").string();
  mkdir(dir.c_str(), 0700);
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) != 0)
    throw EnvironmentError("sandbox: " + dir +
                           " must be a folder owned by root and writable only by it (it holds "
                           "the locks of the sandbox uids)");
  return dir;
}

bool has_account(int uid) {
  passwd pw{}, *found = nullptr;
  char buf[4096];
  return getpwuid_r(static_cast<uid_t>(uid), &pw, buf, sizeof buf, &found) == 0 && found != nullptr;
}

// Whether any process (a zombie too: it counts against RLIMIT_NPROC until reaped) runs as `uid`.
bool runs_anything(int uid) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    struct stat st {};
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") == std::string::npos && stat(entry.path().c_str(), &st) == 0 &&
        st.st_uid == static_cast<uid_t>(uid))
      return true;
  }
  return false;
}

}  // namespace

SandboxUids::SandboxUids(std::int64_t base, int slots, int per_slot) : per_slot_(per_slot) {
  std::string dir = lock_dir();
  for (std::int64_t uid = base; static_cast<int>(uids_.size()) < slots * per_slot; ++uid) {
    if (uid > base + 10000 || uid > 4294967293LL)
      throw EnvironmentError("sandbox: no free uid from " + std::to_string(base) +
                             " on (all locked by other remix "
                             "processes or owned by accounts)");
    if (has_account(static_cast<int>(uid))) continue;
    std::string path = dir + "/uid-" + std::to_string(uid) + ".lock";
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw EnvironmentError("sandbox: cannot open lock file " + path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd);
      continue;
    }
    kill_all(static_cast<int>(uid));  // leftovers of a remix that died holding this uid
    uids_.push_back(static_cast<int>(uid));
    lock_fds_.push_back(fd);
  }
}

SandboxUids::~SandboxUids() {
  for (int uid : uids_) kill_all(uid);
  for (int fd : lock_fds_) close(fd);
}

int SandboxUids::acquire(int slot) const {
  auto begin = uids_.begin() + slot * per_slot_, end = begin + per_slot_;
  for (int round = 0; round < 500; ++round) {
    for (auto it = begin; it != end; ++it)
      if (!runs_anything(*it)) return *it;
    for (auto it = begin; it != end; ++it) kill_all(*it);  // they may still be starting processes
    usleep(10000);
  }
  return *begin;
}

void SandboxUids::kill_all(int uid) {
  if (!runs_anything(uid)) return;  // the usual case: spare forking this (maybe large) process
  pid_t helper = fork();
  if (helper == 0) {
    // kill(-1) from the uid reaches exactly the processes of that uid (and never the helper itself).
    if (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setgid, uid) != 0 || syscall(SYS_setuid, uid) != 0)
      _exit(1);
    kill(-1, SIGKILL);
    _exit(0);
  }
  if (helper < 0) return;
  int status = 0;
  while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace remix::tasks::code
