// Sums over a routing trace's sites (see routing_trace.h).
#include "adapter/routing_trace.h"

#include <stdexcept>

namespace remix::adapter {

namespace {

torch::Tensor sum_defined(const std::vector<SiteDecision>& decisions, torch::Tensor SiteDecision::*field) {
  torch::Tensor total;
  for (const auto& d : decisions) {
    const auto& t = d.*field;
    if (t.defined()) total = total.defined() ? total + t : t;
  }
  return total;
}

}  // namespace

torch::Tensor RoutingTrace::log_prob() const { return sum_defined(decisions_, &SiteDecision::log_prob); }

std::optional<TokenLogProbs> RoutingTrace::token_log_prob() const {
  TokenLogProbs out;
  for (const auto& d : decisions_) {
    if (!d.sampled) continue;
    if (!d.token_log_prob.defined()) return std::nullopt;
    auto& sum = d.reaches_later_positions ? out.reaching : out.own;
    sum = sum.defined() ? sum + d.token_log_prob : d.token_log_prob;
  }
  if (!out.reaching.defined() && !out.own.defined()) return std::nullopt;
  if (!out.reaching.defined()) out.reaching = torch::zeros_like(out.own);
  if (!out.own.defined()) out.own = torch::zeros_like(out.reaching);
  return out;
}

torch::Tensor RoutingTrace::num_decisions() const { return sum_defined(decisions_, &SiteDecision::num_decisions); }

torch::Tensor RoutingTrace::aux_loss() const {
  auto total = sum_defined(decisions_, &SiteDecision::aux_loss);
  if (total.defined()) {
    std::int64_t sites = 0;
    for (const auto& d : decisions_) sites += d.aux_loss.defined() ? 1 : 0;
    total = total / static_cast<double>(sites);
  }
  auto pooled = pooled_balance_loss();
  if (pooled.defined()) total = total.defined() ? total + pooled : pooled;
  if (!total.defined())  // on the routed tensors' device: a GPU step never copies a constant from the host
    return decisions_.empty() || !decisions_.front().weights.defined()
               ? torch::zeros({})
               : torch::zeros({}, decisions_.front().weights.options().requires_grad(false));
  return total;
}

torch::Tensor RoutingTrace::pooled_balance_loss() const {
  torch::Tensor chosen, probs, tokens;  // Σ over the pooled sites' valid tokens: [n], [n], scalar
  double coef = 0;
  std::int64_t n = 0;
  for (const auto& d : decisions_) {
    if (d.pooled_balance_coef <= 0) continue;
    if (n != 0 && (d.num_experts != n || d.pooled_balance_coef != coef))
      throw std::logic_error("pooled balance loss: sites disagree on the number of experts or the coefficient");
    n = d.num_experts;
    coef = d.pooled_balance_coef;
    auto valid = d.valid.unsqueeze(-1).to(d.probs.scalar_type());  // [B,T,1]
    auto in_topk = torch::zeros_like(d.probs).scatter(-1, d.experts, 1.0);
    auto c = (in_topk * valid).sum(torch::IntArrayRef{0, 1});
    auto p = (d.probs * valid).sum(torch::IntArrayRef{0, 1});
    auto t = valid.sum();
    chosen = chosen.defined() ? chosen + c : c;
    probs = probs.defined() ? probs + p : p;
    tokens = tokens.defined() ? tokens + t : t;
  }
  if (n == 0) return {};
  tokens = tokens.clamp_min(1);
  return coef * static_cast<double>(n) * ((chosen / tokens) * (probs / tokens)).sum();
}

}  // namespace remix::adapter
