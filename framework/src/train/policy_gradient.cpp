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

Credit parse_credit(const std::string& name) {
  if (name == "sequence") return Credit::Sequence;
  if (name == "to-go") return Credit::ToGo;
  throw ConfigError("train.credit: expected sequence or to-go, got '" + name + "'");
}

PolicyGradientLoss policy_gradient_loss_to_go(const torch::Tensor& token_losses, const adapter::TokenLogProbs& log_q,
                                              std::int64_t samples, DataParallel* group) {
  TORCH_CHECK(samples >= 2, "policy_gradient_loss_to_go: rloo needs at least 2 samples per sequence");
  TORCH_CHECK(token_losses.dim() == 2 && token_losses.sizes() == log_q.reaching.sizes() &&
                  token_losses.sizes() == log_q.own.sizes() && token_losses.size(0) % samples == 0,
              "policy_gradient_loss_to_go: token losses and log q must all be [M·B, T]");
  const auto T = token_losses.size(1);
  auto l = token_losses.detach().reshape({samples, -1, T});           // [M, B, T]
  auto to_go = l.flip(-1).cumsum(-1).flip(-1);                         // Σ_{s≥t} ℓ[s]
  auto centred = [](const torch::Tensor& g) { return g - g.mean(0, /*keepdim=*/true); };
  auto terms = centred(to_go) * log_q.reaching.reshape({samples, -1, T}) +
               centred(l) * log_q.own.reshape({samples, -1, T});
  // The sequence-level report: the same advantages and variance policy_gradient_loss records.
  auto out = policy_gradient_loss(token_losses.detach().sum(1), torch::zeros({token_losses.size(0)}, l.options()),
                                  samples, Estimator::Rloo, group);
  out.router_loss = terms.sum(std::vector<std::int64_t>{0, 2}).div(samples - 1).mean();
  return out;
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
