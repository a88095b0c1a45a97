// What `remix run`, `remix worker` and `remix slurm` share: registering an experiment's trials as a sweep, the
// table printed when a worker finishes (the sweep's trials with their status and final metrics), and the
// arguments a worker passes on to each `remix trial` process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "report/table.h"
#include "store/results_db.h"

namespace remix::cli {

struct RegisteredSweep {
  std::string db_path, name;
  std::int64_t id = 0;
  std::size_t trials = 0;
};
// Expands FILE + overrides into trials and records them all (pending) in the experiment's database.
RegisteredSweep register_experiment(const GlobalOptions& g, const std::string& file,
                                    const std::vector<std::string>& overrides);

report::Table trial_table(store::ResultsDb& db, std::int64_t sweep_id);
std::vector<std::string> trial_arguments(const GlobalOptions& g);

}  // namespace remix::cli
