// Weightings of a config's tasks: points of the simplex, each a weight per task summing to 1. Multitask
// experiments sweep them (a `sweep.parameters` axis `{simplex: [tasks...], divisions: N}`) and previews merge
// per-task runs at them (`remix preview --weights`). One place decides what a weighting is, how it is
// normalised, refused and named.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace remix::config {

struct Weighting {
  std::map<std::string, double> weights;  // task -> weight, normalised to sum 1 (every listed task present)
  // "code=0.5,knowledge=0,math=0.5": the tasks in name order, weights with up to 6 significant digits.
  std::string name() const;
};

// Every point of the simplex over `tasks` whose weights are multiples of 1/divisions: C(n + d - 1, n - 1)
// weightings, the vertices (one task alone) among them. ConfigError (prefixed with `where`) for fewer than one
// task, a repeated task, or divisions < 1.
std::vector<Weighting> simplex_grid(const std::vector<std::string>& tasks, int divisions, const std::string& where);
// `raw` normalised to sum 1; ConfigError (prefixed with `where`) for a negative or non-finite weight, a task not
// in `known`, or weights that are all zero. Tasks of `known` missing from `raw` weigh 0.
Weighting normalised_weighting(const std::map<std::string, double>& raw, const std::vector<std::string>& known,
                               const std::string& where);

// A list of weightings as a command line gives it: an integer N (simplex_grid over `tasks` with N divisions) or
// weightings separated by ';', each "task=w,task=w" (tasks left out weigh 0), normalised. ConfigError prefixed
// with `where` naming the bad part.
std::vector<Weighting> parse_weightings(const std::string& text, const std::vector<std::string>& tasks,
                                        const std::string& where);

// The normalised weighting of a resolved config tree (its tasks.<name>.weight values); ConfigError prefixed with
// `where` when they are all zero. `alone`: the task trained on by itself (every other weight 0), or "".
Weighting weighting_of(const nlohmann::json& tree, const std::string& where);
std::string task_alone(const Weighting& w);
// The tree without its tasks' weights (and without experiment.*, which names where results go): equal for the runs
// of a sweep that differ only in how their tasks are weighted (what previews merge, and what they are compared
// with).
nlohmann::json without_task_weights(nlohmann::json tree);

}  // namespace remix::config
