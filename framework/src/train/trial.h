// The body of a trial: build the model with its adapters and routers, get the tasks' examples, train,
// evaluate, and log everything to the run's metrics. Throws UserError for bad input found on the way and
// train::Interrupted when a signal stopped it after a checkpoint.
#pragma once

#include <cstdint>
#include <string>

#include "config/resolved_config.h"
#include "store/results_db.h"

namespace remix::train {

struct TrialOutcome {
  std::string summary;  // one line for the log
};

TrialOutcome execute_trial(const config::ResolvedConfig& cfg, store::ResultsDb& db, std::int64_t run_id);

}  // namespace remix::train
