// Routing diagnostics from a trace (see diagnostics.h).
#include "adapter/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace remix::adapter {

namespace {

// One site's decisions restricted to valid tokens, concatenated over the trace's entries for it.
struct SiteTokens {
  torch::Tensor weights, experts, probs;  // [N,k'] double, [N,k'] int64, [N,n] double
  std::int64_t num_experts = 0;
};

SiteTokens valid_tokens(const std::vector<const SiteDecision*>& decisions) {
  std::vector<torch::Tensor> w, e, q;
  for (const auto* d : decisions) {
    auto mask = d->valid.reshape({-1}).to(torch::kCPU);
    auto rows = [&](const torch::Tensor& t) {
      return t.detach().to(torch::kCPU).reshape({mask.size(0), -1}).index({mask});
    };
    w.push_back(rows(d->weights).to(torch::kDouble));
    e.push_back(rows(d->experts));
    q.push_back(rows(d->probs).to(torch::kDouble));
  }
  return {torch::cat(w), torch::cat(e), torch::cat(q), decisions.front()->num_experts};
}

// ‖v‖₁² / ‖v‖₂² per row; 0 for an all-zero row.
torch::Tensor effective_size(const torch::Tensor& v) {
  auto l1 = v.abs().sum(1), l2 = v.pow(2).sum(1);
  return torch::where(l2 > 0, l1.pow(2) / l2.clamp_min(std::numeric_limits<double>::min()), torch::zeros_like(l2));
}

}  // namespace

Metrics routing_diagnostics(const RoutingTrace& trace) {
  torch::NoGradGuard no_grad;
  std::vector<std::string> order;
  std::map<std::string, std::vector<const SiteDecision*>> by_site;
  for (const auto& d : trace.decisions()) {
    if (!by_site.count(d.site)) order.push_back(d.site);
    by_site[d.site].push_back(&d);
  }

  Metrics out;
  std::map<std::string, std::vector<double>> across_sites;  // summary name -> one value per site
  auto emit = [&](const std::string& site, const std::string& name, double value, bool summarise = true) {
    out.emplace_back(fmt::format("routing/{}/{}", site, name), value);
    if (summarise) across_sites[name].push_back(value);
  };
  for (const auto& site : order) {
    auto s = valid_tokens(by_site[site]);
    const auto N = s.weights.size(0), n = s.num_experts;
    if (N == 0) continue;
    auto w = s.weights.abs();
    auto ess = effective_size(w);
    emit(site, "ess_mean", ess.mean().item<double>());
    emit(site, "ess_min", ess.min().item<double>());
    auto q_ess = effective_size(s.probs);
    emit(site, "q_ess_mean", q_ess.mean().item<double>());
    emit(site, "q_ess_min", q_ess.min().item<double>());
    if (n > 1) {
      auto q = s.probs;
      auto entropy =
          -(q * q.clamp_min(std::numeric_limits<double>::min()).log()).sum(1) / std::log(static_cast<double>(n));
      emit(site, "entropy_norm", entropy.mean().item<double>());
    }
    auto total = w.sum(1);
    auto top1 = torch::where(total > 0, std::get<0>(w.max(1)) / total.clamp_min(std::numeric_limits<double>::min()),
                             torch::zeros_like(total));
    emit(site, "top1_share", top1.mean().item<double>());
    auto load =
        torch::bincount(s.experts.reshape({-1}), {}, n).to(torch::kDouble) / static_cast<double>(s.experts.numel());
    for (std::int64_t i = 0; i < n; ++i) emit(site, fmt::format("load/{}", i), load[i].item<double>(), false);
    emit(site, "load_max", load.max().item<double>());
    // The share of the applied weight on each expert: what a dense router (every expert selected, load uniform)
    // really does with them.
    auto weight_total = w.sum().item<double>();
    if (weight_total > 0) {
      auto share = torch::zeros({n}, torch::kDouble).index_add_(0, s.experts.reshape({-1}), w.reshape({-1})) / weight_total;
      for (std::int64_t i = 0; i < n; ++i) emit(site, fmt::format("weight/{}", i), share[i].item<double>(), false);
    }
    auto sets = std::get<0>(torch::sort(s.experts, 1));
    emit(site, "distinct_selections", static_cast<double>(std::get<0>(at::unique_dim(sets, 0)).size(0)));
  }
  for (const auto& [name, values] : across_sites) {
    double sum = 0;
    for (double v : values) sum += v;
    out.emplace_back("routing/" + name, sum / static_cast<double>(values.size()));
  }
  if (across_sites.count("ess_min"))
    out.emplace_back("routing/ess_worst",
                     *std::min_element(across_sites["ess_min"].begin(), across_sites["ess_min"].end()));
  auto decisions = trace.num_decisions();
  if (decisions.defined())
    out.emplace_back("routing/decisions_per_sequence", decisions.to(torch::kDouble).mean().item<double>());
  return out;
}

}  // namespace remix::adapter
