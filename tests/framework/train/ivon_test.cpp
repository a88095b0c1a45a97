// IVON on a quadratic ½ Σᵢ hᵢ (θᵢ − μᵢ)², whose Hessian is diag(h) everywhere: the mean converges to μ, the
// running Hessian estimate to h (the reparameterisation estimate ĝ·ε/σ² is unbiased for it), the posterior
// precision is λ (h + δ), and the state survives a save and load.
#include <gtest/gtest.h>

#include <sstream>

#include "train/ivon.h"

namespace remix::train {
namespace {

struct Quadratic {
  torch::Tensor h = torch::tensor({0.5, 2.0, 8.0}, torch::kFloat64);
  torch::Tensor mu = torch::tensor({1.0, -2.0, 3.0}, torch::kFloat64);
  torch::Tensor loss(const torch::Tensor& theta) const { return 0.5 * (h * (theta - mu).pow(2)).sum(); }
};

IvonOptions ivon_options() {
  IvonOptions o(0.1);
  o.ess(1e4).hess_init(1.0).beta1(0.9).beta2(0.999).weight_decay(1e-6);
  return o;
}

void train(Ivon& opt, const torch::Tensor& theta, const Quadratic& q, int steps) {
  for (int s = 0; s < steps; ++s) {
    opt.sample();
    opt.zero_grad();
    q.loss(theta).backward();
    opt.step();
  }
}

TEST(Ivon, RecoversTheMeanAndTheDiagonalHessianOfAQuadratic) {
  torch::manual_seed(0);
  Quadratic q;
  auto theta = torch::zeros({3}, torch::kFloat64).requires_grad_(true);
  Ivon opt({torch::optim::OptimizerParamGroup({theta})}, ivon_options());
  train(opt, theta, q, 6000);
  EXPECT_TRUE(torch::allclose(theta.detach(), q.mu, 0, 0.02)) << theta;  // between steps θ holds the mean
  auto hessian = opt.precision(theta) / 1e4 - 1e-6;                      // λ (h + δ) → h
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(hessian[i].item<double>() / q.h[i].item<double>(), 1.0, 0.15) << "h[" << i << "] = " << hessian[i];
}

TEST(Ivon, AStepWithoutASampleLeavesTheHessianAndUsesTheMean) {
  Quadratic q;
  auto theta = torch::zeros({3}, torch::kFloat64).requires_grad_(true);
  Ivon opt({torch::optim::OptimizerParamGroup({theta})}, ivon_options());
  opt.zero_grad();
  q.loss(theta).backward();
  opt.step();
  // ĥ = 0 at ε = 0 would pull h toward 0; without a sample the estimate stays at h₀.
  EXPECT_TRUE(torch::allclose(opt.precision(theta), torch::full({3}, 1e4 * (1.0 + 1e-6), torch::kFloat64)));
  EXPECT_GT(theta[0].item<double>(), 0);  // moved toward μ
}

TEST(Ivon, StateSurvivesSaveAndLoad) {
  torch::manual_seed(1);
  Quadratic q;
  auto theta = torch::zeros({3}, torch::kFloat64).requires_grad_(true);
  Ivon opt({torch::optim::OptimizerParamGroup({theta})}, ivon_options());
  train(opt, theta, q, 50);
  std::stringstream buffer;
  {
    torch::serialize::OutputArchive out;
    opt.save(out);
    out.save_to(buffer);
  }
  auto copy = theta.detach().clone().requires_grad_(true);
  Ivon restored({torch::optim::OptimizerParamGroup({copy})}, ivon_options());
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  restored.load(in);
  EXPECT_TRUE(torch::equal(restored.precision(copy), opt.precision(theta)));
  torch::manual_seed(7);
  train(opt, theta, q, 5);
  torch::manual_seed(7);
  train(restored, copy, q, 5);
  EXPECT_TRUE(torch::equal(copy.detach(), theta.detach()));
}

}  // namespace
}  // namespace remix::train
