// One trial, start to end, in the process that `remix trial --db DB --run-id N` starts: read the trial's
// resolved config from the database, validate it again against the plugins on this machine, record
// provenance, keep a heartbeat, train and evaluate, and record how it ended. The exit code tells the worker
// the outcome: 0 completed, 2 bad input (the run is `failed` with the message), 1 internal error, 128 + signal
// when interrupted (checkpoint written, run `interrupted`).
//
// Data parallel (trial/rank_launch.h): rank 0 is the process above, and starts ranks 1..N-1 itself under --nproc N;
// the other ranks read the run's config from the store without writing to it, meet rank 0 at the rendezvous and
// train their share. A rank lost mid-trial (RankLost) leaves the run `interrupted` with the rank named, so the next
// `remix run` resumes it from its last checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/resolved_config.h"

namespace remix::store {
struct RunRecord;
}

namespace remix::trial {

struct TrialRequest {
  std::string db_path;  // the results store's location
  std::int64_t run_id = 0;
  std::vector<std::string> plugin_paths;  // --plugin-path folders searched before the config's
  int nproc = 1;                           // --nproc: data-parallel ranks to start on this machine
  std::vector<std::string> rank_args;      // the arguments that start another rank of this trial
};

int run_trial(const TrialRequest& request);

// A recorded trial's config, validated again against the plugins on this machine (errors name the database and the
// run): what every rank of the trial and `remix worker`'s check before claiming anything read.
config::ResolvedConfig recorded_trial_config(const store::RunRecord& run, const std::string& db, std::int64_t run_id,
                                             const std::vector<std::string>& plugin_paths);

}  // namespace remix::trial
