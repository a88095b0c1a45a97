// Registering a sweep: its expanded, resolved trials recorded in the results store as one sweep, every trial
// `pending` (or keeping the state it has: same trial key) before the first one runs. `remix run` registers and
// then works; `remix slurm` registers and prints the job that works.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/results_store.h"
#include "sweep/expansion.h"

namespace remix::sweep {

struct RegisteredSweep {
  std::string name;
  std::int64_t id = 0;
  std::size_t trials = 0;
};

RegisteredSweep register_sweep(store::ResultsStore& store, const SweepPlan& plan,
                               const std::vector<ResolvedTrial>& trials);

}  // namespace remix::sweep
