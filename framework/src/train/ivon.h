// IVON, the Improved Variational Online Newton optimizer (Shen et al. 2024, "Variational Learning is Effective
// for Large Deep Networks", Algorithm 1), written from the paper's update rule. It learns a diagonal Gaussian
// posterior N(m, σ²) over the parameters: each step the parameters are sampled θ = m + σ·ε, the gradient ĝ at θ
// and a Hessian estimate ĥ = ĝ·ε/σ (the reparameterisation trick, unbiased for the diagonal Hessian) update
//
//   g ← β₁ g + (1 − β₁) ĝ
//   h ← β₂ h + (1 − β₂) ĥ + ½ (1 − β₂)² (h − ĥ)² / (h + δ)       (the last term keeps h positive)
//   m ← m − α (g / (1 − β₁ᵗ) + δ m) / (h + δ)
//   σ = 1 / √(λ (h + δ))
//
// with α the learning rate, δ the weight decay (the prior precision per example), λ the effective sample size
// (the training set's size). Between steps the parameters hold the mean m (what evaluation and checkpoints see);
// sample() puts θ into them for the next forward. The posterior precision λ (h + δ) is the diagonal precision
// multitask previews merge with (the Hessian "at no extra cost").
#pragma once

#include <torch/torch.h>

#include <vector>

namespace remix::train {

struct IvonOptions : public torch::optim::OptimizerCloneableOptions<IvonOptions> {
  explicit IvonOptions(double lr = 0.1) : lr_(lr) {}
  TORCH_ARG(double, lr);
  TORCH_ARG(double, ess) = 1e4;       // λ
  TORCH_ARG(double, hess_init) = 1;   // h₀
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.99999;
  TORCH_ARG(double, weight_decay) = 1e-4;  // δ

 public:
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
};

struct IvonParamState : public torch::optim::OptimizerCloneableParamState<IvonParamState> {
  TORCH_ARG(std::int64_t, step) = 0;
  TORCH_ARG(torch::Tensor, mean);      // m
  TORCH_ARG(torch::Tensor, momentum);  // g
  TORCH_ARG(torch::Tensor, hessian);   // h
  TORCH_ARG(torch::Tensor, noise);     // ε of the current sample (z·σ); undefined between a step and a sample

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
};

class Ivon : public torch::optim::Optimizer {
 public:
  Ivon(std::vector<torch::optim::OptimizerParamGroup> groups, IvonOptions defaults);

  // θ = m + σ·ε into every parameter, for the next forward and backward (draws from torch's generator).
  void sample();
  // The update from the gradients at the sampled θ; the parameters hold the new mean afterwards. A step without
  // a sample() before it uses ε = 0 (the gradient at the mean; the Hessian estimate then stays put).
  torch::Tensor step(LossClosure closure = nullptr) override;
  // The posterior precision λ (h + δ) of a parameter (its current estimate).
  torch::Tensor precision(const torch::Tensor& parameter) const;

  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

 private:
  IvonParamState& state_of(const torch::Tensor& p, const IvonOptions& o);
};

}  // namespace remix::train
