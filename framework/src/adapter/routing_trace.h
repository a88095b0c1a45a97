// The routing trace: every routing site's decision during a forward (docs/architecture.md §1, §4), collected for the
// trainer (the per-sequence log Q summed over sites for RLOO, the auxiliary losses) and for the diagnostics of §5.
// Pass one in model::RoutingContext::trace; sites append to it as the forward runs.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace remix::adapter {

struct SiteDecision {
  std::string site;  // "layers.3.ffn", "layers.3.up", ...
  std::int64_t num_experts = 0;
  bool sampled = false;         // the router drew this decision at random (it returned a log_prob)
  torch::Tensor valid;          // [B,T] bool: the tokens the diagnostics count
  torch::Tensor experts;        // [B,T,k'] int64
  torch::Tensor weights;        // [B,T,k']
  torch::Tensor probs;          // [B,T,n]
  torch::Tensor log_prob;       // [B] or undefined
  torch::Tensor aux_loss;       // scalar or undefined
  torch::Tensor num_decisions;  // [B] or undefined
  torch::Tensor token_log_prob;  // [B,T] or undefined
  bool reaches_later_positions = true;  // see RoutingSiteImpl::set_reaches_later_positions
  double pooled_balance_coef = 0.0;     // > 0: this site joins the pooled balance loss (RouteOutput)
};

// The per-token log Q of a trace's sampled decisions, split by what they can change (train.credit: to-go).
struct TokenLogProbs {
  torch::Tensor reaching;  // [B,T] Σ over sites whose decision at t can change the logits at t and after
  torch::Tensor own;       // [B,T] Σ over sites whose decision at t changes the logits at t only (zeros if none)
};

class RoutingTrace {
 public:
  void record(SiteDecision decision) { decisions_.push_back(std::move(decision)); }
  const std::vector<SiteDecision>& decisions() const { return decisions_; }
  bool empty() const { return decisions_.empty(); }
  void clear() { decisions_.clear(); }

  // Σ over sites of log Q per sequence, [B]: the policy-gradient term's log-probability. Undefined when no
  // site sampled (eval routing, or a router without a policy-gradient path).
  torch::Tensor log_prob() const;
  // Per token and by reach; nullopt when a sampling site gave no token_log_prob (or none sampled).
  std::optional<TokenLogProbs> token_log_prob() const;
  // Σ over sites of the sampled decisions behind log_prob, [B]; undefined when no site sampled.
  torch::Tensor num_decisions() const;
  // The mean of the auxiliary losses over the sites that report one, plus the balance loss pooled over the sites that
  // ask for it (pooled_balance_loss); a zero scalar (on the weights' device) when there is neither.
  torch::Tensor aux_loss() const;
  // coef · n · Σ_i f_i P_i over the valid tokens of every site with pooled_balance_coef > 0 together (f_i: share of
  // them whose experts hold i, P_i: their mean probs[i]); undefined when no site asks. MixLoRA computes its
  // load-balancing loss this way, over all layers' router logits at once.
  torch::Tensor pooled_balance_loss() const;

 private:
  std::vector<SiteDecision> decisions_;
};

}  // namespace remix::adapter
