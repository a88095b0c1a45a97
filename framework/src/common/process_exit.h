// How a child process ended, in the words every error message about a trial or a rank uses: "exited with code 3"
// or "killed by signal 11 (Segmentation fault)". One place, so that a sweep's failed trial and a data-parallel
// trial's lost rank describe the same ending the same way.
#pragma once

#include <string>

namespace remix {

// `exit_status`: the exit code, or minus the signal that killed the process.
std::string describe_exit(int exit_status);
// `wait_status`: as waitpid() reports it.
std::string describe_wait_status(int wait_status);

}  // namespace remix
