// Sweep expansion (docs/architecture.md §9): the `sweep:` block of an experiment and the command line's comma lists
// become a list of trials, each a set of overrides on the experiment file.
//
//   sweep:
//     method: grid                  # or random (with `samples` draws, seeded by `random_seed`)
//     parameters:
//       train.lr: [1e-3, 3e-3]      # a grid axis over one key
//       train.router_lr: {min: 1e-4, max: 1e-2, log: true}   # a range (random method only)
//       variant:                    # a bundle axis: each value sets several keys together
//         - {name: remix, router.plugin: remix}
//         - {name: lora8, router.plugin: lora, adapter.num_experts: 1, adapter.r: 8}
//       task_weights:               # a simplex axis: each value sets tasks.<task>.weight of every task listed
//         simplex: [math, code]     # with divisions: N (weights in multiples of 1/N; N = 1: each task alone)
//         divisions: 2              # or points: [[1, 0], [0.5, 0.5]] (normalised to sum 1)
//     seeds: [0, 1, 2]              # every trial once per seed
//
// Command-line axes (`router.plugin=remix,softmax`) multiply whatever the block gives. Trials are ordered
// block axes (file order), then command-line axes, then seeds, the last varying fastest. A trial is named by
// its axis values ("router.plugin=remix seed=1"); a sweep of one trial by its experiment.name. A command-line
// override of a key the block's axes or seeds set is refused (it would be replaced without a word).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "config/overrides.h"
#include "config/resolved_config.h"

namespace remix::sweep {

struct TrialSpec {
  std::vector<config::Override> overrides;  // the fixed command-line ones, then this trial's axis values
  std::string name;                          // "router.plugin=remix seed=1" (experiment.name for one trial)
};

struct SweepPlan {
  std::string file;
  std::string name;                    // sweep.name, else experiment.name plus the command-line overrides
  std::vector<TrialSpec> trials;
  nlohmann::json spec;                 // the expanded axes, for the sweeps table
};

// Throws ConfigError naming file:line:col for an empty value list, a bad range, a range under the grid
// method, a malformed bundle, or a command-line override the block would replace. Unknown keys are found when
// the trials are resolved.
SweepPlan expand_sweep(const std::string& file, const std::vector<std::string>& cli_overrides);

struct ResolvedTrial {
  TrialSpec spec;
  config::ResolvedConfig config;
};
// Resolves every trial (each error names the trial), dropping trials whose trial key repeats an earlier one.
std::vector<ResolvedTrial> resolve_trials(const SweepPlan& plan, const config::PluginSchemaLookup& lookup);

}  // namespace remix::sweep
