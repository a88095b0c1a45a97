// The statistics of a paired comparison (`remix results --against`): how much one configuration differs from a
// baseline on a metric, when both ran the same seeds on the same eval examples. Differences are paired twice: by seed
// (the seed fixes the adapters' initialisation and the data order in both arms) and, within a seed, by eval example
// (both arms score the same examples), so the noise both arms share — which seed was lucky, which examples are hard —
// cancels instead of widening the interval. Two 95 % intervals for the mean difference:
//   - a paired bootstrap over seeds and eval examples: resample the seeds with replacement, then within each drawn
//     seed its examples' differences with replacement, and take the mean of the seeds' means; the 2.5 and 97.5
//     percentiles of that over the resamples (both sources of noise, as a rerun with new seeds and a new eval sample
//     would see them; conservative, since the seeds' spread already holds the examples' noise and resampling them
//     adds it again: 98 % coverage in the simulation of its test);
//   - the seed-level t-interval: the seeds' mean differences, mean ± t(0.975, n−1)·s/√n (seed noise only, through
//     each seed's whole-eval mean; none for one seed).
// Without per-example outcomes (a metric that is not an average over examples, or a run recorded before they were)
// each seed counts as one example, and the bootstrap is over seeds alone.
// Seeds can share a draw of something else random — every seed of a sweep finetunes the one pretrained base its
// base.pretrain.seed made. Then the seeds' spread misses the bases' spread, and the unit of replication is the
// base: clustered_paired_difference takes clusters (bases) of seeds, resamples clusters, then seeds within each drawn
// cluster, then examples; its t-interval is over the clusters' means (df = clusters − 1), none for one cluster. With
// one seed per cluster it is paired_difference exactly (same resamples).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace remix::report {

struct Interval {
  double low = 0, high = 0;
  bool excludes_zero() const { return low > 0 || high < 0; }
};

struct PairedDifference {
  double mean = 0;                 // mean over seeds of each seed's mean difference (arm − baseline)
  Interval bootstrap;              // over seeds and examples
  std::optional<Interval> t;       // over the clusters' means (seed-level without clusters); none for one
  int seeds = 0;                   // paired seeds over all clusters
  int clusters = 0;                // the seeds' clusters (= seeds without clusters)
  std::int64_t examples = 0;       // paired examples over all seeds
};

// `differences[s]`: seed s's per-example differences (arm − baseline; one entry when only the metric is known).
// Every seed needs at least one. Deterministic for a given `rng_seed`.
PairedDifference paired_difference(const std::vector<std::vector<double>>& differences, int resamples = 2000,
                                   std::uint64_t rng_seed = 0x5eed);

// `clusters[c][s]`: cluster c's seed s's per-example differences. Every cluster needs a seed, every seed an example.
PairedDifference clustered_paired_difference(const std::vector<std::vector<std::vector<double>>>& clusters,
                                             int resamples = 2000, std::uint64_t rng_seed = 0x5eed);

// Student's t quantile t(0.975, df) for df >= 1 (table to 30, Cornish-Fisher beyond: within 1e-3).
double t_quantile_975(int df);

}  // namespace remix::report
