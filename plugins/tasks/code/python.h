// Finding the python3 that runs code samples.
//
// `wanted` is "auto" (every python3 on PATH, in PATH order), a name looked up on PATH, or a path. Each
// candidate is asked, as this user and outside any sandbox, for its real executable (a launcher such as a
// pyenv shim resolves to the interpreter behind it), its version and its install prefixes (which a sandbox
// must make visible). The executor then keeps the first candidate that also works inside the sandbox.
#pragma once

#include <string>
#include <vector>

namespace remix::tasks::code {

struct PythonInterpreter {
  std::string executable;             // absolute path of the real interpreter
  std::string version;                // "3.11.2"
  std::vector<std::string> prefixes;  // sys.prefix, sys.base_prefix, sys.exec_prefix (distinct)
};

struct PythonCandidates {
  std::vector<PythonInterpreter> usable;
  std::vector<std::string> rejected;  // "<path>: why", for the error message when none works
};

// Throws EnvironmentError when there is no candidate at all (python3 not installed / not found), with the
// PATH searched and how to install it or name another.
PythonCandidates find_pythons(const std::string& wanted, const std::string& param_key);

// The executable files named `name` on PATH, in order (a name containing '/' is returned as it is if it is an
// executable file).
std::vector<std::string> find_on_path(const std::string& name);

}  // namespace remix::tasks::code
