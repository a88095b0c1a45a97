// How a child process ended, described from what waitpid reports for real children: an exit code, and a signal
// with its name (the words a failed trial and a lost data-parallel rank both record).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/process_exit.h"

namespace remix {
namespace {

int wait_for(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return status;
}

TEST(ProcessExit, DescribesAnExitCodeAndASignalAsWaitpidReportsThem) {
  pid_t exits = fork();
  ASSERT_GE(exits, 0);
  if (exits == 0) _exit(3);
  EXPECT_EQ(describe_wait_status(wait_for(exits)), "exited with code 3");

  pid_t sleeps = fork();
  ASSERT_GE(sleeps, 0);
  if (sleeps == 0) {
    pause();
    _exit(0);
  }
  ASSERT_EQ(kill(sleeps, SIGKILL), 0);
  EXPECT_EQ(describe_wait_status(wait_for(sleeps)), "killed by signal 9 (Killed)");
  EXPECT_EQ(describe_exit(-SIGSEGV), "killed by signal 11 (Segmentation fault)");
  EXPECT_EQ(describe_exit(0), "exited with code 0");
}

}  // namespace
}  // namespace remix
