// Registering a sweep (see registration.h).
#include "sweep/registration.h"

#include "common/log.h"

namespace remix::sweep {

RegisteredSweep register_sweep(store::ResultsStore& store, const SweepPlan& plan,
                               const std::vector<ResolvedTrial>& trials) {
  std::vector<store::PendingRun> pending;
  for (const auto& t : trials)
    pending.push_back({t.config.trial_key(), t.spec.name, "trial", t.config.tree().dump(), t.config.flatten()});
  auto experiment = store.ensure_experiment(trials.front().config.get_string("experiment.name"));
  RegisteredSweep r{plan.name, store.register_sweep(experiment, plan.name, plan.spec.dump(), pending), trials.size()};
  log::info("{}: {} trial{} in sweep '{}' of {}", plan.file, trials.size(), trials.size() == 1 ? "" : "s", plan.name,
            store.location());
  return r;
}

}  // namespace remix::sweep
