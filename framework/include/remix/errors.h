// Error types shared by the host and plugins.
//
// A `UserError` is bad input the researcher can fix (a config key, a data file, a plugin path, a database):
// the CLI prints its message and exits with code 2. Anything else escaping a command is an internal error
// (exit code 1). Plugins throw `DataError` for bad data files so that it is reported as bad input too.
#pragma once

#include <stdexcept>
#include <string>

namespace remix {

struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A config file or override that does not validate.
struct ConfigError : UserError {
  using UserError::UserError;
};

// A plugin that cannot be found, loaded, or instantiated.
struct PluginError : UserError {
  using UserError::UserError;
};

// A results database that cannot be opened or used as asked.
struct StoreError : UserError {
  using UserError::UserError;
};

// A data file (benchmark, checkpoint, tokenizer) that is missing or malformed; say file:line where known.
struct DataError : UserError {
  using UserError::UserError;
};

// A program or system facility the run needs that is missing or unusable here (python3 for the code task,
// bubblewrap when the config asks for it): say what was looked for, where, and how to get it.
struct EnvironmentError : UserError {
  using UserError::UserError;
};

}  // namespace remix
