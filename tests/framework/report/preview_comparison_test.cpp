// Previews against reality on made-up points: Spearman's ρ with ties against hand-computed values, the
// weighting each rule picks and its regret, the mixed-only correlation leaving out the one-task weightings,
// and the speedup.
#include <gtest/gtest.h>

#include <cmath>

#include "report/preview_comparison.h"

namespace remix::report {
namespace {

TEST(PreviewComparison, SpearmanWithTiesAndDegenerateCases) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_NEAR(spearman({1, 2, 2, 3}, {1, 2, 3, 4}), 4.5 / std::sqrt(22.5), 1e-12);  // average ranks 2.5, 2.5
  EXPECT_TRUE(std::isnan(spearman({1, 2}, {1, 2})));                                 // fewer than 3 pairs
  EXPECT_TRUE(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));                           // a constant side
}

WeightingPoint point(const std::string& rule, double a, double value, double seconds) {
  WeightingPoint p;
  p.group = "lora";
  p.rule = rule;
  p.weights = {{"a", a}, {"b", 1 - a}};
  p.weighting = "a=" + std::to_string(a);
  p.values = {{"a/acc", value}, {"mean", value}};
  p.seconds = seconds;
  return p;
}

TEST(PreviewComparison, PickRegretMixedCorrelationAndSpeedup) {
  PreviewData d;
  d.tasks = {"a", "b"};
  d.metrics = {"a/acc", "mean"};
  d.groups = {"lora"};
  d.rules = {"arithmetic", "delta-w"};  // delta-w: a rule with no previews in this group, no rows
  // Real accuracies rise toward a = 0.75; the preview ranks 0.5 first.
  std::vector<std::pair<double, double>> real = {{0, 0.1}, {0.25, 0.3}, {0.5, 0.5}, {0.75, 0.6}, {1, 0.55}};
  std::vector<std::pair<double, double>> preview = {{0, 0.1}, {0.25, 0.2}, {0.5, 0.7}, {0.75, 0.4}, {1, 0.5}};
  for (auto [a, v] : real) d.real.push_back(point("real", a, v, 100));
  for (auto [a, v] : preview) d.previews.push_back(point("arithmetic", a, v, 4));
  auto t = preview_tables(d);
  ASSERT_EQ(t.side_by_side.rows.size(), 10u);  // 5 weightings × 2 metrics
  ASSERT_EQ(t.agreement.rows.size(), 2u);
  const auto& row = t.agreement.rows[0];  // group, rule, metric, n, spearman, n_mixed, spearman_mixed, pick, best, regret
  EXPECT_EQ(row[2], "a/acc");
  EXPECT_EQ(row[3], 5);
  EXPECT_NEAR(row[4].get<double>(), 0.6, 1e-4);  // ranks 1 2 3 5 4 vs 1 2 5 3 4: 1 − 6·(0+0+4+4+0)/120
  EXPECT_EQ(row[5], 3);                          // the mixed weightings 0.25, 0.5, 0.75
  EXPECT_NEAR(row[6].get<double>(), 0.5, 1e-4);  // ranks 1 2 3 vs 1 3 2
  EXPECT_EQ(row[7], "a=0.500000");
  EXPECT_EQ(row[8], "a=0.750000");
  EXPECT_NEAR(row[9].get<double>(), 0.1, 1e-4);
  ASSERT_EQ(t.speed.rows.size(), 1u);
  EXPECT_NEAR(t.speed.rows[0][6].get<double>(), 25.0, 1e-9);
}

}  // namespace
}  // namespace remix::report
