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
