// The merging rules against their equations: a one-hot weighting reproduces the task's own tensors exactly,
// precision merging with equal precisions is task arithmetic (pulled toward the start by the prior by exactly
// the closed form), a tensor without precision falls back to arithmetic and is named, the ΔW concatenation is
// the dense Σ α_t B_t A_t, and runs with different parameters are refused.
#include <gtest/gtest.h>

#include "preview/merge.h"
#include "remix/errors.h"

namespace remix::preview {
namespace {

NamedTensors random_lora(int out, int in, int r) {
  return {{"layers.0.up.A", torch::randn({r, in})}, {"layers.0.up.B", torch::randn({out, r})}};
}

TEST(Merge, AOneHotWeightingReproducesTheTasksTensorsExactly) {
  torch::manual_seed(1);
  std::vector<NamedTensors> runs = {random_lora(6, 5, 2), random_lora(6, 5, 2), random_lora(6, 5, 2)};
  auto merged = merge_arithmetic(runs, {0, 1, 0});
  ASSERT_EQ(merged.size(), 2u);
  for (std::size_t i = 0; i < merged.size(); ++i) {
    EXPECT_EQ(merged[i].first, runs[1][i].first);
    EXPECT_TRUE(torch::equal(merged[i].second, runs[1][i].second)) << merged[i].first;
  }
}

TEST(Merge, PrecisionWithEqualPrecisionsIsArithmeticPulledByThePrior) {
  torch::manual_seed(2);
  std::vector<NamedTensors> runs = {random_lora(4, 3, 2), random_lora(4, 3, 2)};
  NamedTensors start = random_lora(4, 3, 2);
  std::vector<NamedTensors> precisions;
  NamedTensors h;
  for (const auto& [name, t] : runs[0]) h.emplace_back(name, torch::rand(t.sizes()) + 0.5);
  precisions = {h, h};
  std::vector<double> alpha = {0.3, 0.7};
  auto arithmetic = merge_arithmetic(runs, alpha);
  auto tiny_prior = merge_precision(start, 1e-12, runs, precisions, alpha);
  EXPECT_TRUE(tiny_prior.arithmetic.empty());
  for (std::size_t i = 0; i < arithmetic.size(); ++i)
    EXPECT_TRUE(torch::allclose(tiny_prior.tensors[i].second, arithmetic[i].second, 1e-5, 1e-6)) << arithmetic[i].first;
  // With prior precision p: θ = (p θ₀ + H Σ α θ_t) / (p + H) elementwise.
  double p = 0.4;
  auto pulled = merge_precision(start, p, runs, precisions, alpha);
  for (std::size_t i = 0; i < arithmetic.size(); ++i) {
    auto expected = (start[i].second * p + h[i].second * arithmetic[i].second) / (h[i].second + p);
    EXPECT_TRUE(torch::allclose(pulled.tensors[i].second, expected, 1e-5, 1e-6)) << arithmetic[i].first;
  }
}

TEST(Merge, PrecisionWeighsEachElementByItsRunsPrecision) {
  // Two runs, one element each: the run that measured 9× the precision pulls the merge 9× harder.
  std::vector<NamedTensors> runs = {{{"w", torch::tensor({0.0f})}}, {{"w", torch::tensor({10.0f})}}};
  std::vector<NamedTensors> precisions = {{{"w", torch::tensor({9.0f})}}, {{"w", torch::tensor({1.0f})}}};
  auto merged = merge_precision({{"w", torch::tensor({0.0f})}}, 1e-9, runs, precisions, {0.5, 0.5});
  EXPECT_NEAR(merged.tensors[0].second.item<double>(), 1.0, 1e-6);
}

TEST(Merge, ATensorWithoutPrecisionInAnyRunIsMergedArithmeticallyAndNamed) {
  std::vector<NamedTensors> runs = {{{"router.w", torch::tensor({1.0f, 2.0f})}, {"e.A", torch::tensor({1.0f})}},
                                    {{"router.w", torch::tensor({3.0f, 6.0f})}, {"e.A", torch::tensor({3.0f})}}};
  std::vector<NamedTensors> precisions = {{{"router.w", torch::zeros({2})}, {"e.A", torch::tensor({1.0f})}},
                                          {{"router.w", torch::zeros({2})}, {"e.A", torch::tensor({1.0f})}}};
  NamedTensors start = {{"router.w", torch::zeros({2})}, {"e.A", torch::zeros({1})}};
  auto merged = merge_precision(start, 1e-9, runs, precisions, {0.5, 0.5});
  ASSERT_EQ(merged.arithmetic, std::vector<std::string>{"router.w"});
  EXPECT_TRUE(torch::allclose(merged.tensors[0].second, torch::tensor({2.0f, 4.0f})));
  EXPECT_THROW(merge_precision(start, 0.0, runs, precisions, {0.5, 0.5}), UserError);  // H₀ must be positive
}

TEST(Merge, DeltaWConcatenationEqualsTheDenseWeightedSum) {
  torch::manual_seed(3);
  std::vector<NamedTensors> runs = {random_lora(7, 5, 2), random_lora(7, 5, 2), random_lora(7, 5, 2)};
  std::vector<double> alpha = {0.2, 0.5, 0.3};
  auto merged = merge_delta_w(runs, alpha);
  ASSERT_EQ(merged[0].second.sizes(), (std::vector<std::int64_t>{6, 5}));  // rank 3·2
  ASSERT_EQ(merged[1].second.sizes(), (std::vector<std::int64_t>{7, 6}));
  auto dense = torch::zeros({7, 5});
  for (std::size_t t = 0; t < runs.size(); ++t) dense += alpha[t] * torch::matmul(runs[t][1].second, runs[t][0].second);
  EXPECT_TRUE(torch::allclose(torch::matmul(merged[1].second, merged[0].second), dense, 1e-5, 1e-5));
  // A router parameter has no ΔW: refused, naming it.
  std::vector<NamedTensors> mixture = {{{"router.w", torch::zeros({2})}}, {{"router.w", torch::zeros({2})}}};
  try {
    merge_delta_w(mixture, {0.5, 0.5});
    FAIL() << "a router parameter was concatenated";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("'router.w'"), std::string::npos) << e.what();
  }
}

TEST(Merge, RunsWithDifferentParametersAreRefused) {
  std::vector<NamedTensors> shapes = {random_lora(4, 3, 2), random_lora(4, 3, 4)};
  try {
    merge_arithmetic(shapes, {0.5, 0.5});
    FAIL() << "different ranks merged";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("layers.0.up.A"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[2, 3] vs [4, 3]"), std::string::npos) << e.what();
  }
  std::vector<NamedTensors> names = {{{"a", torch::zeros({1})}}, {{"b", torch::zeros({1})}}};
  EXPECT_THROW(merge_arithmetic(names, {0.5, 0.5}), UserError);
  std::vector<NamedTensors> counts = {{{"a", torch::zeros({1})}}, {{"a", torch::zeros({1})}, {"b", torch::zeros({1})}}};
  EXPECT_THROW(merge_arithmetic(counts, {0.5, 0.5}), UserError);
}

TEST(Merge, MeanPrecisionIsTheMeanOverEveryElement) {
  std::vector<NamedTensors> p = {{{"a", torch::tensor({1.0f, 3.0f})}}, {{"a", torch::tensor({2.0f, 6.0f})}}};
  EXPECT_DOUBLE_EQ(mean_precision(p), 3.0);
}

}  // namespace
}  // namespace remix::preview
