// A sweep worker: claims trials of one sweep from the results store and runs each in its own child process
// (`remix trial`), up to `jobs` at a time, until none is left. `remix run` is a worker on the sweep it just
// registered; `remix worker` (and each task of a Slurm array) is one on a sweep registered earlier.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/results_store.h"

namespace remix::sweep {

struct WorkerOptions {
  std::int64_t sweep_id = 0;
  store::Shard shard;
  int jobs = 1;
  int nproc = 1;  // data-parallel ranks each trial starts (`remix trial --nproc`)
  double stale_seconds = 120;
  bool retry_failed = false;
  std::vector<std::string> trial_args;  // extra arguments of each `remix trial` (plugin paths, verbosity)
  // A command that starts each trial's ranks across nodes, given this program and its `trial` arguments (`srun
  // --nodes=2 --ntasks=8 ...`, as `remix slurm --nodes` writes it; every rank it starts is a Slurm rank). Empty: the
  // worker starts the trial process itself. launcher[0] is a path.
  std::vector<std::string> launcher;
};

struct WorkerSummary {
  int completed = 0, failed = 0, interrupted = 0;
  int signal = 0;          // the signal that stopped the worker, if any
  int last_exit_code = 0;  // of the last trial that did not complete (0 if all did)
};

// Works on `store`'s sweep; each trial process opens the store's location itself.
WorkerSummary run_worker(store::ResultsStore& store, const WorkerOptions& options);

}  // namespace remix::sweep
