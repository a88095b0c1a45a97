// Sums over a routing trace's sites (see routing_trace.h).
#include "adapter/routing_trace.h"

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
  if (!total.defined())  // on the routed tensors' device: a GPU step never copies a constant from the host
    return decisions_.empty() || !decisions_.front().weights.defined()
               ? torch::zeros({})
               : torch::zeros({}, decisions_.front().weights.options().requires_grad(false));
  std::int64_t sites = 0;
  for (const auto& d : decisions_) sites += d.aux_loss.defined() ? 1 : 0;
  return total / static_cast<double>(sites);
}

}  // namespace remix::adapter
