// The ReMix router (reinforcement routing, arXiv 2603.10160; docs/architecture.md §4). Logits z = P·x (P: n×D, no bias)
// on the detached site input, q = softmax(z). Training draws k distinct experts by Gumbel-top-k (sampling without
// replacement from q) and reports log Q of the ordered draw, summed over the sequence's valid tokens, for the
// host's RLOO estimator: the router learns only through log Q, never through the weights. `score: set` reports the
// log-probability of the unordered set instead (Σ over its orders): the layer's output depends on the set alone.
// Every chosen expert gets the same constant weight ω, so the applied weights cannot collapse (their ESS is exactly k). Eval routes
// to the top-k of q (ties to the lower index), or samples with `inference: sample`.
//
// Training's Gumbel noise comes from the host's per-row keys (RouteInput::noise_keys), so a row samples the same
// whichever data-parallel rank computes it.
//
// `granularity: sequence` makes one selection per sequence from the mean site input over its prompt tokens
// only (answer tokens never influence it); at generation it is made once from the prompt and kept, through
// RouteInput::state, for the decoding steps.
#include <remix/plugin.h>

#include <cmath>
#include <string>

namespace {

using remix::ParamType;

const remix::ParamSpec kParams[] = {
    remix::param("omega", ParamType::FloatOrChoice, "lora",
                 "weight of every chosen expert: lora = lora_alpha/(k*r), rslora = lora_alpha/sqrt(k*r), or a number")
        .one_of("lora|rslora")
        .range(0, 1e6),
    remix::param("granularity", ParamType::Choice, "token",
                 "token: every token routes; sequence: one selection per sequence from its prompt tokens")
        .one_of("token|sequence"),
    remix::param("inference", ParamType::Choice, "topk", "eval routing: top-k of q, or a sample (ablation)")
        .one_of("topk|sample"),
    remix::param("score", ParamType::Choice, "order",
                 "what RLOO's log-probability scores: order = the ordered draw, log Q (the paper's); set = the "
                 "unordered set, log of Q summed over its k! orders (same expectation, less noise; top_k <= 6)")
        .one_of("order|set")
        .in_key_when_set(),
    remix::param("router_init", ParamType::Choice, "normal", "router weights N(0, router_init_range), or zeros")
        .one_of("normal|zeros"),
    remix::param("router_init_range", ParamType::Float, "0.02", "std of the normal router init").range(0, 10),
};

double omega_of(const remix::Params& p, const remix::RouterContext& c) {
  if (p.is_number("omega")) return p.get_float("omega");
  const double active_rank = static_cast<double>(c.top_k * c.rank);
  return p.get_string("omega") == "rslora" ? c.lora_alpha / std::sqrt(active_rank) : c.lora_alpha / active_rank;
}

class ReMixRouter : public remix::Router {
 public:
  ReMixRouter(const remix::Params& p, const remix::RouterContext& c)
      : omega_(omega_of(p, c)),
        n_(c.num_experts),
        k_(c.top_k),
        per_sequence_(p.get_string("granularity") == "sequence"),
        sample_at_eval_(p.get_string("inference") == "sample"),
        score_set_(p.get_string("score") == "set") {
    if (score_set_ && c.top_k > kMaxSetK)
      throw remix::ConfigError("router.score: set sums log Q over the k! orders of each selection and takes "
                               "adapter.top_k <= " + std::to_string(kMaxSetK) + ", got adapter.top_k=" +
                               std::to_string(c.top_k) + "; use router.score: order");
    weight_ = register_parameter("weight", torch::zeros({c.num_experts, c.input_dim}));
    if (p.get_string("router_init") == "normal") {
      torch::NoGradGuard no_grad;
      weight_.normal_(0.0, p.get_float("router_init_range"));
    }
  }

  static constexpr remix::RouterTraits traits = remix::RouterTraits().trained_by_policy_gradient();

  remix::RouteOutput route(const remix::RouteInput& in) override {
    const auto B = in.x.size(0), T = in.x.size(1);
    const auto x = in.x.detach();  // the policy-gradient term must update the router only
    const bool sample = in.training || sample_at_eval_;
    remix::RouteOutput out;
    torch::Tensor logits, experts;  // [B,T',n], [B,T',k] with T' = T, or 1 per sequence
    if (per_sequence_ && in.decoding && in.state && in.state->defined()) {
      // The selection made from the prompt at prefill; state packs [logits | experts] along the last axis.
      logits = in.state->narrow(-1, 0, n_);
      experts = in.state->narrow(-1, n_, k_).to(torch::kLong);
    } else {
      logits = per_sequence_ ? torch::nn::functional::linear(
                                   remix::routing::masked_mean(x, in.prompt_mask.logical_and(in.mask)), weight_)
                                   .unsqueeze(1)
                             : torch::nn::functional::linear(x, weight_);
      // Training noise is keyed by row (the same samples on any number of ranks); `inference: sample` at eval is not.
      auto keys = in.training ? in.noise_keys : torch::Tensor();
      experts = sample ? remix::routing::gumbel_topk(logits, k_, keys) : remix::routing::topk_lower_index(logits, k_);
      if (sample) {
        auto log_q = score_set_ ? remix::routing::log_prob_of_set(logits, experts)  // [B,T']
                                : remix::routing::log_prob_without_replacement(logits, experts);
        auto counted = per_sequence_ ? in.mask.any(1, /*keepdim=*/true) : in.mask;   // a decision per counted cell
        out.log_prob = remix::routing::masked_sum(log_q, counted);
        out.num_decisions = counted.sum(1).to(in.x.dtype());
        // Per token, for credit by position (train.credit: to-go); one decision per sequence has no position.
        if (!per_sequence_) out.token_log_prob = torch::where(counted, log_q, torch::zeros_like(log_q));
      }
      if (per_sequence_ && !in.decoding && in.state)
        *in.state = torch::cat({logits.detach(), experts.to(logits.dtype())}, -1);
    }
    out.experts = experts.expand({B, T, k_}).contiguous();
    out.probs = torch::softmax(logits, -1).expand({B, T, n_});
    out.weights = torch::full({B, T, k_}, omega_, in.x.options().requires_grad(false));
    return out;
  }

 private:
  double omega_;
  std::int64_t n_, k_;
  static constexpr std::int64_t kMaxSetK = 6;  // 720 orders per decision
  bool per_sequence_, sample_at_eval_, score_set_;
  torch::Tensor weight_;
};

}  // namespace

REMIX_ROUTER_PLUGIN(ReMixRouter, "remix", "1.0.0",
                    "ReMix: k experts sampled without replacement, constant weight omega, trained by RLOO on log Q",
                    kParams)
