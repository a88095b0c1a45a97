// The softmax top-k router (MixLoRA-style; docs/architecture.md §4): per-token logits Linear(D, n) without bias,
// initialised N(0, router_init_range); q = softmax over all n; keep the top k (ties to the lower index), renormalise
// them to sum 1 and scale each by lora_alpha/r. In training, optional jitter multiplies the site input by
// U(1 − jitter_noise, 1 + jitter_noise) — what the router, the experts and the frozen projections see, as MixLoRA and
// Mixtral do (jitter_scope: site), or the router's input alone (router); drawn from the host's per-row noise keys, so
// equal on 1 or N ranks — and the load-balancing loss
// coef · n · Σ_i f_i P_i is returned (f_i: share of valid tokens whose top-k holds i; P_i: mean q_i over valid tokens;
// minimum coef · k): per site and averaged over sites (aux_loss_scope: site, Switch's per-layer loss), or pooled over
// all sites' tokens by the host (model: MixLoRA's, over all layers' router logits at once).
#include <remix/plugin.h>

namespace {

using remix::ParamType;

const remix::ParamSpec kParams[] = {
    remix::param("router_aux_loss_coef", ParamType::Float, "0.001", "weight of the load-balancing loss").range(0, 1e3),
    remix::param("router_init_range", ParamType::Float, "0.02", "std of the normal router init").range(0, 10),
    remix::param("jitter_noise", ParamType::Float, "0.0", "multiplicative input noise in training (0 = off)")
        .range(0, 1),
    remix::param("jitter_scope", ParamType::Choice, "site",
                 "site: the jittered input is what the experts and frozen projections see too (MixLoRA); router: "
                 "only the router's")
        .one_of("site|router")
        .in_key_when_set(),
    remix::param("aux_loss_scope", ParamType::Choice, "site",
                 "site: the load-balancing loss per site, averaged over sites; model: one loss over all sites' "
                 "tokens together (MixLoRA's)")
        .one_of("site|model")
        .in_key_when_set(),
};

class SoftmaxRouter : public remix::Router {
 public:
  SoftmaxRouter(const remix::Params& p, const remix::RouterContext& c)
      : coef_(p.get_float("router_aux_loss_coef")),
        jitter_(p.get_float("jitter_noise")),
        jitter_site_(p.get_string("jitter_scope") == "site"),
        pooled_(p.get_string("aux_loss_scope") == "model"),
        scale_(c.lora_alpha / static_cast<double>(c.rank)),
        n_(c.num_experts),
        k_(c.top_k) {
    weight_ = register_parameter("weight", torch::empty({c.num_experts, c.input_dim}));
    torch::NoGradGuard no_grad;
    weight_.normal_(0.0, p.get_float("router_init_range"));
  }

  remix::RouteOutput route(const remix::RouteInput& in) override {
    auto x = in.x;
    remix::RouteOutput out;
    if (in.training && jitter_ > 0) {
      // Keyed by row when the host gives keys: a row's jitter is the same on 1 or N ranks, whatever shares its batch.
      auto u = in.noise_keys.defined() ? remix::routing::keyed_uniform(in.noise_keys, x.sizes()).to(x.options())
                                       : torch::rand_like(x);
      x = x * (1.0 - jitter_ + 2.0 * jitter_ * u);
      if (jitter_site_) out.site_input = x;
    }
    auto q = torch::softmax(torch::nn::functional::linear(x, weight_), -1);  // [B,T,n]
    out.experts = remix::routing::topk_lower_index(q, k_);
    auto top = q.gather(-1, out.experts);
    out.weights = top / top.sum(-1, /*keepdim=*/true) * scale_;
    out.probs = q;
    if (in.training && coef_ > 0 && pooled_) {
      out.pooled_balance_coef = coef_;
    } else if (in.training && coef_ > 0) {
      auto valid = in.mask.unsqueeze(-1);
      auto tokens = in.mask.sum().clamp_min(1).to(q.dtype());
      auto chosen = torch::zeros_like(q).scatter(-1, out.experts, 1.0);
      auto f = torch::where(valid, chosen, torch::zeros_like(chosen)).sum(torch::IntArrayRef{0, 1}) / tokens;
      auto P = torch::where(valid, q, torch::zeros_like(q)).sum(torch::IntArrayRef{0, 1}) / tokens;
      out.aux_loss = coef_ * static_cast<double>(n_) * (f * P).sum();
    }
    return out;
  }

 private:
  double coef_, jitter_;
  bool jitter_site_, pooled_;
  double scale_;
  std::int64_t n_, k_;
  torch::Tensor weight_;
};

}  // namespace

REMIX_ROUTER_PLUGIN(SoftmaxRouter, "softmax", "1.0.0",
                    "MixLoRA-style: top-k of softmax renormalised, scaled lora_alpha/r, load-balancing aux loss",
                    kParams)
