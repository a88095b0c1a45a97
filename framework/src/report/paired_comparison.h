// `remix results --against KEY=VALUE`: every group of trials that differs from the baseline (the trials whose KEY has
// VALUE) only in KEY is compared with it, metric by metric, paired by seed and, where each run recorded its final
// evaluation's per-example outcomes, by eval example (report/paired_difference.h): the mean difference (group −
// baseline) with a 95 % paired-bootstrap interval and the seed-level t-interval, marked where the bootstrap interval
// excludes zero. Seeds one side lacks (failed, unfinished, not run) are left out and counted.
// `--replicate KEY` names a key whose values are draws of something the seeds share (base.pretrain.seed: each value
// is another pretrained base), not conditions to compare: its values then pair with the seed (one pair per base and
// seed) instead of making groups, and the statistics treat each value as a cluster of its seeds (the t-interval is
// over the values' means: a claim about bases in general, not about the one base the seeds shared).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "report/results.h"
#include "report/table.h"
#include "store/results_store.h"

namespace remix::report {

struct PairedQuery {
  std::string key, value;            // the baseline: trials whose `key` has `value`
  std::vector<std::string> metrics;  // default: every final/... score (not parameter counts)
  WhereFilter where;
  std::vector<std::string> replicates;  // keys whose values are clusters of seeds (--replicate)
};

// "KEY=VALUE" -> the query's key and value; UserError naming the bad argument.
PairedQuery parse_against(const std::string& against);

// Each run's per-example scores of its last evaluation, keyed "final/<task>/<metric>" like the final metrics. Empty
// for a database written before outcomes were recorded.
using FinalOutcomes = std::map<std::int64_t, std::map<std::string, std::vector<double>>>;
FinalOutcomes load_final_outcomes(store::ResultsStore& store);

struct PairedTable {
  Table wide;   // text / markdown: formatted intervals, * where the bootstrap interval excludes zero
  Table long_;  // csv / json: numbers
};
// UserError when KEY does not vary among the trials or no trial has VALUE (naming what there is).
PairedTable paired_comparison(const std::vector<TrialRecord>& trials, const FinalOutcomes& outcomes,
                              const PairedQuery& query);

}  // namespace remix::report
