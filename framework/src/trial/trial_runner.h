// One trial, start to end, in the process that `remix trial --db DB --run-id N` starts: read the trial's
// resolved config from the database, validate it again against the plugins on this machine, record
// provenance, keep a heartbeat, train and evaluate, and record how it ended. The exit code tells the worker
// the outcome: 0 completed, 2 bad input (the run is `failed` with the message), 1 internal error, 128 + signal
// when interrupted (checkpoint written, run `interrupted`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace remix::trial {

struct TrialRequest {
  std::string db_path;  // the results store's location
  std::int64_t run_id = 0;
  std::vector<std::string> plugin_paths;  // --plugin-path folders searched before the config's
};

int run_trial(const TrialRequest& request);

}  // namespace remix::trial
