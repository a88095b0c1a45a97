// The paired comparison's statistics: the seed-level t-interval equals the hand formula; constant differences give
// a zero-width interval; over one seed's examples the bootstrap interval is the normal one (±1.96 standard errors);
// and on simulated experiments (seed effects plus per-example noise around a known difference) the t-interval covers
// the true difference about 95 % of the time and the two-level bootstrap at least that often (it is conservative: the
// per-example noise is already in the seeds' spread, and resampling examples adds it again: ~98 % here). Clustered
// (seeds sharing a base): one seed per cluster is the unclustered statistic exactly; the t-interval is over the
// clusters' means; and where bases differ, it covers ~95 % while treating every seed as independent does not.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "report/paired_difference.h"

namespace remix::report {
namespace {

TEST(PairedDifference, SeedLevelTIntervalIsTheHandFormula) {
  auto d = paired_difference({{0.1}, {0.2}, {0.3}, {0.4}});
  EXPECT_NEAR(d.mean, 0.25, 1e-12);
  const double sd = std::sqrt((0.0225 + 0.0025 + 0.0025 + 0.0225) / 3);
  ASSERT_TRUE(d.t.has_value());
  EXPECT_NEAR(d.t->high - d.mean, 3.182 * sd / 2, 1e-9);
  EXPECT_NEAR(d.mean - d.t->low, 3.182 * sd / 2, 1e-9);
  EXPECT_EQ(d.seeds, 4);
  EXPECT_EQ(d.examples, 4);
  EXPECT_GE(d.bootstrap.low, 0.1);  // a mean of the seeds can never leave their range
  EXPECT_LE(d.bootstrap.high, 0.4);
  EXPECT_FALSE(paired_difference({{0.3}}).t.has_value());  // one seed: no spread to estimate
}

TEST(PairedDifference, ConstantDifferencesGiveAZeroWidthIntervalThatExcludesZero) {
  auto d = paired_difference({{0.5, 0.5, 0.5}, {0.5, 0.5}});
  EXPECT_DOUBLE_EQ(d.bootstrap.low, 0.5);
  EXPECT_DOUBLE_EQ(d.bootstrap.high, 0.5);
  EXPECT_DOUBLE_EQ(d.t->low, 0.5);
  EXPECT_TRUE(d.bootstrap.excludes_zero());
  EXPECT_FALSE(Interval({-0.1, 0.2}).excludes_zero());
  EXPECT_TRUE(Interval({-0.3, -0.2}).excludes_zero());
}

TEST(PairedDifference, OverOneSeedsExamplesTheBootstrapIsTheNormalInterval) {
  std::mt19937_64 rng(1);
  std::bernoulli_distribution win(0.6), loss(0.5);
  std::vector<double> diffs;
  for (int i = 0; i < 2000; ++i) diffs.push_back(double(win(rng)) - double(loss(rng)));  // paired 0/1 outcomes
  double m = 0, ss = 0;
  for (double x : diffs) m += x;
  m /= diffs.size();
  for (double x : diffs) ss += (x - m) * (x - m);
  const double se = std::sqrt(ss / (diffs.size() - 1) / diffs.size());
  auto d = paired_difference({diffs}, 4000);
  EXPECT_NEAR(d.bootstrap.low, m - 1.96 * se, 0.12 * se);
  EXPECT_NEAR(d.bootstrap.high, m + 1.96 * se, 0.12 * se);
}

TEST(PairedDifference, TheTIntervalCovers95PercentAndTheBootstrapAtLeastThat) {
  const double truth = 0.05;
  const int experiments = 300, seeds = 8, examples = 100;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> seed_effect(0, 0.03), example_noise(0, 0.5);
  int boot_cover = 0, t_cover = 0;
  for (int e = 0; e < experiments; ++e) {
    std::vector<std::vector<double>> diffs(seeds);
    for (auto& s : diffs) {
      const double shift = truth + seed_effect(rng);
      for (int i = 0; i < examples; ++i) s.push_back(shift + example_noise(rng));
    }
    auto d = paired_difference(diffs, 400, static_cast<std::uint64_t>(e));
    boot_cover += d.bootstrap.low <= truth && truth <= d.bootstrap.high;
    t_cover += d.t->low <= truth && truth <= d.t->high;
  }
  const double boot = double(boot_cover) / experiments, t = double(t_cover) / experiments;
  EXPECT_GT(boot, 0.93) << "bootstrap coverage " << boot;
  EXPECT_LT(boot, 0.995) << "bootstrap coverage " << boot;
  EXPECT_GT(t, 0.90) << "t coverage " << t;
  EXPECT_LT(t, 0.99) << "t coverage " << t;
  std::printf("coverage over %d simulated experiments: bootstrap %.3f, t %.3f\n", experiments, boot, t);
}

TEST(PairedDifference, OneSeedPerClusterIsTheUnclusteredStatisticExactly) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.1, 0.4);
  std::vector<std::vector<double>> seeds(5);
  std::vector<std::vector<std::vector<double>>> clusters;
  for (auto& s : seeds) {
    for (int i = 0; i < 40; ++i) s.push_back(noise(rng));
    clusters.push_back({s});
  }
  auto plain = paired_difference(seeds, 500, 11);
  auto clustered = clustered_paired_difference(clusters, 500, 11);
  EXPECT_EQ(plain.mean, clustered.mean);
  EXPECT_EQ(plain.bootstrap.low, clustered.bootstrap.low);  // the same resamples, number for number
  EXPECT_EQ(plain.bootstrap.high, clustered.bootstrap.high);
  EXPECT_EQ(plain.t->low, clustered.t->low);
  EXPECT_EQ(plain.seeds, 5);
  EXPECT_EQ(plain.clusters, 5);
  EXPECT_EQ(clustered.examples, 200);
}

TEST(PairedDifference, ClusteredTIntervalIsOverTheClustersMeans) {
  // Cluster means 0.2 and 0.7 (a cluster's mean is its seeds' mean, whatever their count).
  auto d = clustered_paired_difference({{{0.1}, {0.3}}, {{0.5}, {0.7}, {0.9}}});
  EXPECT_NEAR(d.mean, 0.45, 1e-12);
  const double sd = std::sqrt((0.0625 + 0.0625) / 1);
  ASSERT_TRUE(d.t.has_value());
  EXPECT_NEAR(d.t->high - d.mean, 12.706 * sd / std::sqrt(2.0), 1e-9);
  EXPECT_EQ(d.seeds, 5);
  EXPECT_EQ(d.clusters, 2);
  EXPECT_FALSE(clustered_paired_difference({{{0.1}, {0.3}, {0.2}}}).t.has_value());  // one base: no base spread
  EXPECT_THROW(clustered_paired_difference({{{0.1}}, {}}), std::invalid_argument);
}

// Four bases of three seeds, the bases' own effects larger than the seeds': every seed of a base shares its effect,
// so a t-interval over all twelve seeds as if independent is far too narrow; over the bases' means it covers.
TEST(PairedDifference, WhereBasesDifferOnlyTheClusteredTIntervalCovers) {
  const double truth = 0.05;
  const int experiments = 300, bases = 4, seeds = 3, examples = 50;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> base_effect(0, 0.05), seed_effect(0, 0.01), example_noise(0, 0.1);
  int clustered_cover = 0, pooled_cover = 0, boot_cover = 0;
  for (int e = 0; e < experiments; ++e) {
    std::vector<std::vector<std::vector<double>>> clusters(bases);
    std::vector<std::vector<double>> pooled;
    for (auto& c : clusters) {
      const double b = truth + base_effect(rng);
      for (int s = 0; s < seeds; ++s) {
        const double shift = b + seed_effect(rng);
        std::vector<double> d;
        for (int i = 0; i < examples; ++i) d.push_back(shift + example_noise(rng));
        c.push_back(d);
        pooled.push_back(d);
      }
    }
    auto d = clustered_paired_difference(clusters, 200, static_cast<std::uint64_t>(e));
    auto p = paired_difference(pooled, 10, static_cast<std::uint64_t>(e));
    clustered_cover += d.t->low <= truth && truth <= d.t->high;
    pooled_cover += p.t->low <= truth && truth <= p.t->high;
    boot_cover += d.bootstrap.low <= truth && truth <= d.bootstrap.high;
  }
  const double clustered = double(clustered_cover) / experiments, pooled = double(pooled_cover) / experiments;
  EXPECT_GT(clustered, 0.90) << "clustered t coverage " << clustered;
  EXPECT_LT(clustered, 0.99) << "clustered t coverage " << clustered;
  EXPECT_LT(pooled, 0.85) << "pooled t coverage " << pooled;
  // The percentile bootstrap over 4 clusters is narrower than t(3) (it uses the resamples' own spread): printed,
  // not asserted, and why README reads the t-interval when bases are few.
  std::printf("coverage with 4 bases of 3 seeds: clustered t %.3f, pooled t %.3f, clustered bootstrap %.3f\n",
              clustered, pooled, double(boot_cover) / experiments);
}

TEST(PairedDifference, TQuantilesMatchTheTableAndTheNormalLimit) {
  EXPECT_DOUBLE_EQ(t_quantile_975(1), 12.706);
  EXPECT_DOUBLE_EQ(t_quantile_975(7), 2.365);
  EXPECT_NEAR(t_quantile_975(40), 2.021, 1e-3);
  EXPECT_NEAR(t_quantile_975(120), 1.980, 1e-3);
  EXPECT_NEAR(t_quantile_975(100000), 1.960, 1e-3);
}

}  // namespace
}  // namespace remix::report
