// Unprivileged user ids for sandboxed programs when remix runs as root.
//
// Root is exempt from RLIMIT_NPROC, may write anywhere and may signal anything, so a program started by root
// runs as a uid of its own instead, counting up from a base (default 1900000000, far above the ranges Debian
// hands out to accounts and containers), skipping any uid that has an account. A uid is claimed by an
// flock()ed lock file in a root-only folder (/run/remix-sandbox, else under the temp dir), so remix processes
// running side by side never share one; the claim lasts as long as this object. Because nothing else runs as
// a claimed uid, "kill every process of this uid" is a safe way to end whatever a program left behind,
// including processes that left its process group; it is also done on claiming, for leftovers of a remix that
// crashed.
//
// Killed processes still count against the uid's process limit until they are reaped, and orphans are reaped
// by init, which may take a while (about a second on the development VM). So each worker slot owns a few
// uids and a sample takes one that runs nothing at all; only when all of them are still busy does it wait.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace remix::tasks::code {

class SandboxUids {
 public:
  // Throws EnvironmentError when the lock folder is unsafe or no free uid is found.
  SandboxUids(std::int64_t base, int slots, int per_slot = 4);
  ~SandboxUids();
  SandboxUids(const SandboxUids&) = delete;
  SandboxUids& operator=(const SandboxUids&) = delete;

  // A uid of worker `slot` that runs no process (zombies included); waits up to five seconds for one to clear
  // when all are busy, then takes the first anyway.
  int acquire(int slot) const;
  int first() const { return uids_.front(); }
  int last() const { return uids_.back(); }

  // One SIGKILL to every process running as `uid`, from a helper process that switches to that uid; nothing
  // (no helper) when no process runs as it.
  static void kill_all(int uid);

 private:
  int per_slot_;
  std::vector<int> uids_;
  std::vector<int> lock_fds_;
};

}  // namespace remix::tasks::code
