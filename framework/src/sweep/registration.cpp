// Registering a sweep (see registration.h).
#include "sweep/registration.h"

#include "common/log.h"

namespace remix::sweep {

RegisteredSweep register_sweep(store::ResultsStore& store, const SweepPlan& plan,
                               const std::vector<ResolvedTrial>& trials) {
  // A password in experiment.db (a database server's URI) is never recorded: not in the runs' configs, not in
  // their params.
  std::vector<store::PendingRun> pending;
  for (const auto& t : trials) {
    auto tree = t.config.tree();
    if (tree.contains("experiment") && tree["experiment"].contains("db"))
      tree["experiment"]["db"] = store::redact_location(tree["experiment"]["db"].get<std::string>());
    auto params = t.config.flatten();
    for (auto& [key, value] : params)
      if (key == "experiment.db") value = nlohmann::json(tree["experiment"]["db"]).dump();
    pending.push_back({t.config.trial_key(), t.spec.name, "trial", tree.dump(), params});
  }
  auto experiment = store.ensure_experiment(trials.front().config.get_string("experiment.name"));
  RegisteredSweep r{plan.name, store.register_sweep(experiment, plan.name, plan.spec.dump(), pending), trials.size()};
  log::info("{}: {} trial{} in sweep '{}' of {}", plan.file, trials.size(), trials.size() == 1 ? "" : "s", plan.name,
            store.location());
  return r;
}

}  // namespace remix::sweep
