// Previews against reality (`remix results --previews`, the report's Pareto charts): the previews merged from a
// sweep's per-task runs and the sweep's real trials, matched by group (the config without task weights) and
// weighting. For each task's headline metric (final/<task>/<metric>) and their mean over tasks, it gives preview
// and real values side by side, the Spearman rank correlation between them over the weightings that have both
// (all of them, and the mixed ones only: a one-hot arithmetic preview is its source run, which flatters the
// correlation), the regret of the weighting each preview picks (the real value of the preview's best weighting
// against the real best), and how much faster a preview is than a real trial.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "report/table.h"
#include "store/results_store.h"

namespace remix::report {

// One real trial or one preview, as the comparison sees it.
struct WeightingPoint {
  std::int64_t run_id = 0;
  std::string group;                      // its group's label
  std::string rule;                       // "real", or the merging rule
  std::map<std::string, double> weights;  // normalised, every task
  std::string weighting;                  // "code=0.5,knowledge=0,math=0.5"
  std::map<std::string, double> values;   // metric ("math/exact_match", ..., "mean") -> value
  double seconds = 0;                     // a real trial's run time; a preview's merge + evaluation
};

struct PreviewData {
  std::string sweep;
  std::vector<std::string> tasks, metrics;  // metrics: each task's headline metric, then "mean"
  std::vector<std::string> groups, rules;   // labels in order of appearance; rules without "real"
  std::vector<WeightingPoint> real, previews;
};

// The completed previews of `sweep`'s per-task runs and the sweep's completed trials. `sweep` may be empty when
// the database's previews all came from one sweep. UserError naming the sweeps when there is no such sweep, no
// preview of it, or a choice to make.
PreviewData load_preview_data(store::ResultsStore& store, const std::string& sweep);

// Spearman's ρ (average ranks for ties); NaN for fewer than 3 pairs or a constant side.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

struct PreviewTables {
  Table side_by_side;  // group, weighting, metric, real, one column per rule
  Table agreement;     // group, rule, metric, n, spearman, n mixed, spearman mixed, picked, real best, regret
  Table speed;         // group, rule, previews, preview seconds, real trials, real seconds, speedup
};
PreviewTables preview_tables(const PreviewData& data);

}  // namespace remix::report
