// The policy-gradient estimators are unbiased, checked on the real ReMix router plugin: one routing site with
// n = 4 experts and k = 2, a loss given for each of the 12 ordered selections, the exact gradient of the
// expected loss with respect to the router's parameters by enumerating the selections, and the mean of 25,000
// RLOO (and REINFORCE) estimates from the trainer's own loss function. Tolerances come from the estimates'
// standard error (batch means over 250 chunks of 100), and RLOO's variance must be below REINFORCE's.
#include <gtest/gtest.h>

#include <cmath>

#include "support/models.h"
#include "train/policy_gradient.h"

namespace remix::train {
namespace {

constexpr std::int64_t kN = 4, kK = 2, kD = 5, kM = 4, kPerChunk = 100, kChunks = 250;

// The loss of ordered selection (a, b): asymmetric in a and b, and far from zero so that the baseline matters.
double loss_of(std::int64_t a, std::int64_t b) { return 3.0 + 0.8 * a - 0.5 * b + 0.3 * a * b; }

struct Site {
  std::shared_ptr<Router> router;
  torch::Tensor weight, x;
};

Site make_site() {
  auto lib = test::router_plugin("remix");
  auto ctx = adapter::MixtureOptions().num_experts(kN).top_k(kK).r(4).lora_alpha(8).router_context("layers.0.ffn", kD);
  Site s{lib->create_router(test::router_params(*lib), ctx), {}, {}};
  torch::manual_seed(7);
  s.weight = s.router->named_parameters()["weight"];
  {
    torch::NoGradGuard g;
    s.weight.copy_(torch::randn({kN, kD}) * 0.7);
  }
  s.x = torch::randn({kD});
  return s;
}

// ∇_P E[L] with E[L] = Σ_{a≠b} q_a · q_b / (1 − q_a) · L(a, b), q = softmax(P x).
torch::Tensor exact_gradient(const Site& s) {
  auto P = s.weight.detach().clone().requires_grad_(true);
  auto q = torch::softmax(P.mv(s.x), 0);
  auto expected = torch::zeros({});
  for (std::int64_t a = 0; a < kN; ++a)
    for (std::int64_t b = 0; b < kN; ++b)
      if (a != b) expected = expected + q[a] * q[b] / (1 - q[a]) * loss_of(a, b);
  expected.backward();
  return P.grad().flatten();
}

// One chunk: kPerChunk estimates in one route call (row m·B + b is sample m of estimate b); returns the mean
// of their gradients, exactly what the trainer backpropagates for a batch.
torch::Tensor chunk_gradient(Site& s, Estimator estimator) {
  const std::int64_t rows = kM * kPerChunk;
  RouteInput in;
  in.x = s.x.view({1, 1, kD}).expand({rows, 1, kD}).contiguous();
  in.mask = torch::ones({rows, 1}, torch::kBool);
  in.prompt_mask = in.mask;
  in.training = true;
  auto out = s.router->route(in);
  auto selections = out.experts.view({rows, kK}).contiguous();
  auto experts = selections.accessor<std::int64_t, 2>();
  auto L = torch::empty({rows});
  for (std::int64_t r = 0; r < rows; ++r) L[r] = loss_of(experts[r][0], experts[r][1]);
  auto pg = policy_gradient_loss(L, out.log_prob, kM, estimator);
  if (s.weight.grad().defined()) s.weight.grad().zero_();
  pg.router_loss.backward();
  return s.weight.grad().flatten().clone();
}

struct Estimate {
  torch::Tensor mean, standard_error, per_estimate_variance;
};

Estimate estimate(Estimator estimator, std::uint64_t seed) {
  Site s = make_site();
  torch::manual_seed(seed);
  std::vector<torch::Tensor> chunks;
  for (std::int64_t c = 0; c < kChunks; ++c) chunks.push_back(chunk_gradient(s, estimator));
  auto g = torch::stack(chunks).to(torch::kDouble);
  auto var = g.var(0);  // variance of a chunk mean
  return {g.mean(0), (var / kChunks).sqrt(), var * kPerChunk};
}

void expect_unbiased(Estimator estimator, const char* name) {
  auto exact = exact_gradient(make_site()).to(torch::kDouble);
  auto e = estimate(estimator, 11);
  auto z = ((e.mean - exact).abs() / e.standard_error).max().item<double>();
  // 20 parameters, each within 4 standard errors (a false alarm about once in 800 runs).
  EXPECT_LT(z, 4.0) << name << ": mean\n" << e.mean << "\nexact\n" << exact << "\nstandard error\n" << e.standard_error;
  // And the test has teeth: the standard error is small next to the gradient it checks.
  EXPECT_LT(e.standard_error.max().item<double>(), 0.1 * exact.abs().max().item<double>()) << name;
}

TEST(RlooUnbiased, RlooMeanMatchesTheExactGradient) { expect_unbiased(Estimator::Rloo, "rloo"); }

TEST(RlooUnbiased, ReinforceMeanMatchesTheExactGradient) { expect_unbiased(Estimator::Reinforce, "reinforce"); }

TEST(RlooUnbiased, RlooHasLowerVarianceThanReinforce) {
  auto rloo = estimate(Estimator::Rloo, 12), reinforce = estimate(Estimator::Reinforce, 12);
  double v_rloo = rloo.per_estimate_variance.sum().item<double>();
  double v_reinforce = reinforce.per_estimate_variance.sum().item<double>();
  EXPECT_LT(v_rloo, 0.5 * v_reinforce) << "rloo " << v_rloo << " reinforce " << v_reinforce;
}

TEST(RlooUnbiased, ABiasedEstimatorIsCaught) {
  // The same check rejects an estimator that uses the sample's own loss in its baseline (the mean over all M
  // samples, but without the M/(M-1) correction): the test can fail.
  auto exact = exact_gradient(make_site()).to(torch::kDouble);
  Site s = make_site();
  torch::manual_seed(13);
  std::vector<torch::Tensor> chunks;
  for (std::int64_t c = 0; c < kChunks; ++c) {
    // RLOO's loss scaled by (M-1)/M is the biased "mean baseline" estimator.
    chunks.push_back(chunk_gradient(s, Estimator::Rloo) * (static_cast<double>(kM - 1) / kM));
  }
  auto g = torch::stack(chunks).to(torch::kDouble);
  auto z = ((g.mean(0) - exact).abs() / (g.var(0) / kChunks).sqrt()).max().item<double>();
  EXPECT_GT(z, 4.0);
}

}  // namespace
}  // namespace remix::train
