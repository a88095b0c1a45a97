// Describing how a child process ended (see process_exit.h).
#include "common/process_exit.h"

#include <sys/wait.h>

#include <cstring>

#include <fmt/format.h>

namespace remix {

std::string describe_exit(int exit_status) {
  if (exit_status < 0) return fmt::format("killed by signal {} ({})", -exit_status, strsignal(-exit_status));
  return fmt::format("exited with code {}", exit_status);
}

std::string describe_wait_status(int wait_status) {
  return describe_exit(WIFSIGNALED(wait_status) ? -WTERMSIG(wait_status) : WEXITSTATUS(wait_status));
}

}  // namespace remix
