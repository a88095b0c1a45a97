// Comparison tables from the results database (`remix results`): the trials of a sweep grouped by the
// values of some config keys (rows) and by metric or by another key (columns), each cell the mean ± std over
// seeds with its count. Failed, pending or missing trials are counted in their cell, never hidden; the best
// mean of each column is marked.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/table.h"
#include "report/trial_records.h"

namespace remix::report {

struct Aggregate {
  double mean = 0, std = 0;  // std is the sample standard deviation (n - 1); 0 when n < 2
  int n = 0;                 // completed trials with the metric
  int failed = 0, unfinished = 0;  // failed; pending / running / interrupted / completed without the metric
};
Aggregate aggregate(const std::vector<const TrialRecord*>& trials, const std::string& metric);

// Lower is better for losses and perplexities; higher for everything else (accuracy, pass@1, ESS).
bool lower_is_better(const std::string& metric);
// Counts such as final/params/lora_active_per_token or compute/flops describe a trial; they are not better or worse.
bool is_score(const std::string& metric);
// A score with a better direction, so a table marks its best mean: not the routing diagnostics.
bool has_better_direction(const std::string& metric);

// A metric as a table's column names it: without its stage ("final/", "eval/"): "final/math/exact_match" ->
// "math/exact_match", "eval/code/loss" -> "code/loss".
std::string metric_column(const std::string& metric);
// "v" for one key, "k1=v1 k2=v2" for several, "all" for none: how tables name a group of trials.
std::string label_of(const TrialRecord& t, const std::vector<std::string>& keys);

struct ResultsQuery {
  std::vector<std::string> rows;     // config keys whose values make the rows (default: what varies, but seed)
  std::string cols;                  // a config key whose values make the columns; empty: one column per metric
  std::vector<std::string> metrics;  // default: every `final/...` metric
  WhereFilter where;                 // keep trials whose key has one of these values
};

struct ResultsTable {
  Table wide;   // for text / markdown: "mean ± std (n)" cells, best marked with *
  Table long_;  // for csv / json: one line per cell with numbers
};
ResultsTable results_table(const std::vector<TrialRecord>& trials, const ResultsQuery& query);

// Orders trials by `keys`, the first key first: numbers ascending (lr 1e-3 before 1e-2 whichever ran first),
// other values in order of first appearance (a sweep's own order). Stable, so seeds keep their order. Tables
// and report charts list their rows and groups in this order.
void order_by_keys(std::vector<const TrialRecord*>& trials, const std::vector<std::string>& keys);

// The config keys whose values differ between trials (seed and keys outside the trial key excluded).
std::vector<std::string> varying_keys(const std::vector<TrialRecord>& trials);

}  // namespace remix::report
