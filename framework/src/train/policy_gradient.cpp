// RLOO / REINFORCE router loss (see policy_gradient.h).
#include "train/policy_gradient.h"

#include "remix/errors.h"

namespace remix::train {

Estimator parse_estimator(const std::string& name) {
  if (name == "rloo") return Estimator::Rloo;
  if (name == "reinforce") return Estimator::Reinforce;
  if (name == "rloo-shuffled") return Estimator::RlooShuffled;
  throw ConfigError("train.estimator: expected rloo, reinforce or rloo-shuffled, got '" + name + "'");
}

PolicyGradientLoss policy_gradient_loss(const torch::Tensor& losses, const torch::Tensor& log_q, std::int64_t samples,
                                        Estimator estimator, DataParallel* group) {
  TORCH_CHECK(samples >= 1, "policy_gradient_loss: samples must be >= 1");
  TORCH_CHECK(losses.numel() == log_q.numel() && losses.numel() % samples == 0,
              "policy_gradient_loss: losses and log_q must both hold M·B entries");
  auto L = losses.detach().reshape({samples, -1});
  auto logq = log_q.reshape({samples, -1});
  const auto local_columns = L.size(1);
  const bool shared = group && group->world_size() > 1;
  if (shared)  // [W, M, B_r] -> [M, W·B_r]: the global batch's columns in rank order
    L = group->all_gather(L).permute({1, 0, 2}).reshape({samples, -1});
  PolicyGradientLoss out;
  if (estimator == Estimator::Rloo || estimator == Estimator::RlooShuffled) {
    TORCH_CHECK(samples >= 2, "policy_gradient_loss: rloo needs at least 2 samples per sequence");
    out.advantages = L - L.mean(0, /*keepdim=*/true);
    if (estimator == Estimator::RlooShuffled) {
      const auto B = out.advantages.size(1);
      TORCH_CHECK(B >= 2, "policy_gradient_loss: rloo-shuffled needs at least 2 sequences");
      const auto shift = torch::randint(1, B, {1}, torch::kLong).item<std::int64_t>();  // never 0: no fixed point
      out.advantages = out.advantages.roll(-shift, 1);  // column b gets column (b + shift) mod B
    }
  } else {
    out.advantages = L;
  }
  auto mine = shared ? out.advantages.narrow(1, group->rank() * local_columns, local_columns) : out.advantages;
  const double divisor = estimator == Estimator::Reinforce ? samples : samples - 1;
  out.router_loss = (mine * logq).sum(0).div(divisor).mean();
  out.advantage_variance = out.advantages.numel() > 1 ? out.advantages.var(/*unbiased=*/false).to(torch::kDouble)
                                                     : torch::zeros({}, L.options().dtype(torch::kDouble));
  return out;
}

}  // namespace remix::train
