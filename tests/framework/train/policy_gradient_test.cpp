// The router loss formulas on hand-computed cases: RLOO advantages are leave-one-out centred per sequence,
// REINFORCE uses the raw loss, gradients flow only into log Q, the shuffled control credits every sequence with
// another sequence's advantages (never its own), and bad shapes are refused.
#include <gtest/gtest.h>

#include "remix/errors.h"
#include "train/policy_gradient.h"

#include <set>

namespace remix::train {
namespace {

TEST(PolicyGradient, RlooOnHandComputedCase) {
  // M = 2 samples of B = 2 sequences, replicated-batch order: rows (m=0,b=0), (m=0,b=1), (m=1,b=0), (m=1,b=1).
  auto L = torch::tensor({1.0, 10.0, 3.0, 10.0});
  auto logq = torch::tensor({-1.0, -2.0, -3.0, -4.0}, torch::requires_grad());
  auto pg = policy_gradient_loss(L, logq, 2, Estimator::Rloo);
  // b=0: mean 2, A = (-1, +1); b=1: A = (0, 0). Σ_m A·logQ / (M-1) = (1 - 3)/1 = -2 for b=0 and 0 for b=1.
  EXPECT_DOUBLE_EQ(pg.router_loss.item<double>(), -1.0);
  EXPECT_TRUE(torch::equal(pg.advantages, torch::tensor({{-1.0, 0.0}, {1.0, 0.0}})));
  EXPECT_DOUBLE_EQ(pg.advantage_variance.item<double>(), 0.5);
  pg.router_loss.backward();
  EXPECT_TRUE(torch::allclose(logq.grad(), torch::tensor({-0.5, 0.0, 0.5, 0.0})));
}

TEST(PolicyGradient, ReinforceUsesRawLossOverM) {
  auto L = torch::tensor({1.0, 3.0});
  auto logq = torch::tensor({-1.0, -2.0}, torch::requires_grad());
  auto pg = policy_gradient_loss(L, logq, 2, Estimator::Reinforce);
  EXPECT_DOUBLE_EQ(pg.router_loss.item<double>(), (1.0 * -1.0 + 3.0 * -2.0) / 2.0);
  pg.router_loss.backward();
  EXPECT_TRUE(torch::allclose(logq.grad(), torch::tensor({0.5, 1.5})));
}

TEST(PolicyGradient, LossesGetNoGradientFromTheRouterLoss) {
  auto L = torch::tensor({1.0, 3.0, 2.0, 5.0}, torch::requires_grad());
  auto logq = torch::tensor({-1.0, -2.0, -3.0, -4.0}, torch::requires_grad());
  auto pg = policy_gradient_loss(L, logq, 2, Estimator::Rloo);
  pg.router_loss.backward();
  EXPECT_FALSE(L.grad().defined());
  EXPECT_TRUE(logq.grad().defined());
}

TEST(PolicyGradient, ShuffledControlCreditsEverySequenceWithAnothersAdvantages) {
  // M = 2, B = 3: RLOO's advantages per sequence are (-1, +1), (-2, +2), (-3, +3).
  auto L = torch::tensor({1.0, 2.0, 3.0, 3.0, 6.0, 9.0});
  auto logq = torch::tensor({-1.0, -2.0, -3.0, -4.0, -5.0, -6.0});
  const auto rloo = policy_gradient_loss(L, logq, 2, Estimator::Rloo).advantages;
  std::set<std::int64_t> shifts;
  for (int draw = 0; draw < 40; ++draw) {
    auto shuffled = policy_gradient_loss(L, logq, 2, Estimator::RlooShuffled);
    // A cyclic shift of the sequences by 1 or 2: the same advantages, none left on its own sequence.
    std::int64_t shift = -1;
    for (std::int64_t s = 1; s < 3; ++s)
      if (shuffled.advantages.equal(rloo.roll(-s, 1))) shift = s;
    ASSERT_NE(shift, -1) << shuffled.advantages;
    shifts.insert(shift);
    EXPECT_DOUBLE_EQ(shuffled.advantage_variance.item<double>(),
                     policy_gradient_loss(L, logq, 2, Estimator::Rloo).advantage_variance.item<double>());
    auto expected = (rloo.roll(-shift, 1) * logq.reshape({2, 3})).sum(0).mean();
    EXPECT_NEAR(shuffled.router_loss.item<double>(), expected.item<double>(), 1e-12);
  }
  EXPECT_EQ(shifts.size(), 2u) << "both shifts are drawn";
  EXPECT_THROW(policy_gradient_loss(torch::zeros({2}), torch::zeros({2}), 2, Estimator::RlooShuffled), c10::Error);
  EXPECT_EQ(parse_estimator("rloo-shuffled"), Estimator::RlooShuffled);
}

TEST(PolicyGradient, RejectsBadShapesAndRlooWithOneSample) {
  EXPECT_THROW(policy_gradient_loss(torch::zeros({3}), torch::zeros({3}), 2, Estimator::Rloo), c10::Error);
  EXPECT_THROW(policy_gradient_loss(torch::zeros({4}), torch::zeros({2}), 2, Estimator::Rloo), c10::Error);
  EXPECT_THROW(policy_gradient_loss(torch::zeros({2}), torch::zeros({2}), 1, Estimator::Rloo), c10::Error);
  EXPECT_THROW(parse_estimator("ppo"), ConfigError);
}

}  // namespace
}  // namespace remix::train
