// What `remix run` and `remix slurm` do before they touch a database: expand FILE and the command line's
// overrides into trials, resolve every one against the plugins (--plugin-path first), and refuse a trial this
// machine cannot run as configured (runtime.device) before anything is registered — or, for trials that will run
// elsewhere (`remix slurm`), only a runtime.device no machine could run.
#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"
#include "sweep/expansion.h"

namespace remix::cli {

struct PlannedExperiment {
  sweep::SweepPlan plan;
  std::vector<sweep::ResolvedTrial> trials;
  std::string location;  // experiment.db of the trials
};

enum class RunsOn { ThisMachine, OtherMachines };

PlannedExperiment plan_experiment(const GlobalOptions& global, const std::string& file,
                                  const std::vector<std::string>& overrides, RunsOn runs_on = RunsOn::ThisMachine);

}  // namespace remix::cli
