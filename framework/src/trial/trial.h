// The body of a trial: the tasks, the checks that can fail fast, the base model, the trial's model with its
// adapters and routers, the trainer, in that order, with every metric and provenance fact recorded in the
// run. Throws UserError for bad input found on the way and Interrupted when a signal stopped it after a
// checkpoint.
#pragma once

#include <cstdint>
#include <string>

#include "config/resolved_config.h"
#include "store/results_store.h"
#include "train/data_parallel.h"

namespace remix::trial {

struct TrialOutcome {
  std::string summary;  // one line for the log
};

// `group`: the trial's data-parallel ranks (null: one process). Only rank 0 writes to the store.
TrialOutcome execute_trial(const config::ResolvedConfig& cfg, store::ResultsStore& store, std::int64_t run_id,
                           train::DataParallel* group = nullptr);

}  // namespace remix::trial
