// `remix preview`: for every group of per-task runs of a sweep (preview/source_runs.h), every weighting of a grid
// and every merging rule, merge the task adapters (preview/merge.h), evaluate the merged model on every task's
// eval set exactly as a trial's final evaluation does, and record the result as a run of kind 'preview': its
// weighting and rule in params, its metrics under the trials' names (final/<task>/<metric>), the seconds it took
// (preview/seconds), and the runs it merged (preview_sources). A preview's key is a hash of its sources, rule,
// weighting and prior, so running the command again skips what is done and redoes what a crash left.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/resolved_config.h"
#include "store/results_store.h"

namespace remix::preview {

struct PreviewRequest {
  std::string sweep;                 // --tasks-from
  std::string weights = "3";         // --weights: a simplex grid's divisions, or "task=w,...;..." weightings
  std::vector<std::string> rules;    // --rules; empty: every rule the runs allow
  double prior_precision = 1e-3;     // H₀ relative to the mean precision of the task runs
  std::vector<std::string> plugin_paths;
};

struct PreviewOutcome {
  std::string group, rule, weighting;
  std::int64_t run_id = 0;
  bool reused = false;  // completed by an earlier `remix preview`
  double seconds = 0;   // merge + evaluation
  std::vector<std::pair<std::string, double>> final_metrics;
};

// Runs (or finds) every preview; `done` is called after each. UserError (exit 2) for bad weights or rules and for
// everything source_runs.h and task_adapters.h refuse, before any preview is recorded.
std::vector<PreviewOutcome> run_previews(store::ResultsStore& store, const PreviewRequest& request,
                                         const std::function<void(const PreviewOutcome&)>& done = nullptr);

}  // namespace remix::preview
