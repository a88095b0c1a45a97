// Planning an experiment's trials (see plan_experiment.h).
#include "cli/plan_experiment.h"

#include "plugin/registry.h"
#include "train/trainer.h"
#include "trial/runtime.h"
#include "trial/trial_model.h"

namespace remix::cli {

PlannedExperiment plan_experiment(const GlobalOptions& global, const std::string& file,
                                  const std::vector<std::string>& overrides, RunsOn runs_on) {
  PlannedExperiment p;
  p.plan = sweep::expand_sweep(file, overrides);
  p.trials = sweep::resolve_trials(p.plan, plugin::schema_lookup(global.plugin_paths));
  for (const auto& t : p.trials) {
    if (runs_on == RunsOn::ThisMachine)
      trial::resolve_device(t.config);
    else
      trial::check_device_spelling(t.config);
    train::TrainerOptions::from(t.config);  // the trainer's refusals, before anything is recorded
    trial::refuse_credit_the_router_cannot_take(t.config);
  }
  p.location = p.trials.front().config.get_string("experiment.db");
  return p;
}

}  // namespace remix::cli
