// Registering a sweep (see registration.h).
#include "sweep/registration.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "common/text.h"
#include "remix/errors.h"

namespace remix::sweep {

namespace {

std::vector<store::SweepTrial> trials_of_sweep_named(store::ResultsStore& store, const std::string& name) {
  try {
    return store.sweep_trials(store.find_sweep(name));
  } catch (const UserError&) {  // no sweep of that name yet
    return {};
  }
}

// A sweep registered again is what its new definition says. Trials of the old one that the new one leaves out (a
// named sweep run for one more seed with sweep.seeds=[1], say) stay in the database but leave the sweep's tables;
// say so, since `remix results --sweep` would silently show fewer seeds.
void warn_of_dropped_trials(const std::string& name, const std::vector<store::SweepTrial>& earlier,
                            const std::vector<store::PendingRun>& now) {
  std::set<std::string> kept;
  for (const auto& p : now) kept.insert(p.run_key);
  std::size_t dropped = 0, completed = 0;
  for (const auto& t : earlier)
    if (!kept.count(t.run_key)) {
      ++dropped;
      completed += t.status == "completed";
    }
  if (dropped == 0) return;
  log::warn("sweep '{}' is redefined: {} of its earlier trials ({} completed) are not in it now; they stay in the "
            "database (remix results without --sweep, or with --where, shows them), but `--sweep {}` no longer does. "
            "To keep them in the sweep, give it all of them again (e.g. every seed in sweep.seeds)",
            name, dropped, completed, name);
}

}  // namespace

RegisteredSweep register_sweep(store::ResultsStore& store, const SweepPlan& plan,
                               const std::vector<ResolvedTrial>& trials) {
  // A password in experiment.db (a database server's URI) is never recorded: not in the runs' configs, not in
  // their params. Nor is the sweep block: the trial key leaves it out, so one trial can belong to several sweeps
  // (compare_bases shares compare_compute's), and the first sweep's definition would stay on record as the trial's
  // own. Sweeps are recorded in `sweeps` and `sweep_runs`.
  std::vector<store::PendingRun> pending;
  for (const auto& t : trials) {
    auto tree = t.config.tree();
    tree.erase("sweep");
    if (tree.contains("experiment") && tree["experiment"].contains("db"))
      tree["experiment"]["db"] = store::redact_location(tree["experiment"]["db"].get<std::string>());
    auto params = t.config.flatten();
    params.erase(std::remove_if(params.begin(), params.end(),
                                [](const auto& p) { return text::starts_with(p.first, "sweep."); }),
                 params.end());
    for (auto& [key, value] : params)
      if (key == "experiment.db") value = nlohmann::json(tree["experiment"]["db"]).dump();
    pending.push_back({t.config.trial_key(), t.spec.name, "trial", tree.dump(), params});
  }
  auto experiment = store.ensure_experiment(trials.front().config.get_string("experiment.name"));
  auto earlier = trials_of_sweep_named(store, plan.name);
  RegisteredSweep r{plan.name, store.register_sweep(experiment, plan.name, plan.spec.dump(), pending), trials.size()};
  warn_of_dropped_trials(plan.name, earlier, pending);
  log::info("{}: {} trial{} in sweep '{}' of {}", plan.file, trials.size(), trials.size() == 1 ? "" : "s", plan.name,
            store.location());
  return r;
}

}  // namespace remix::sweep
