// The softmax top-k router (MixLoRA-style; docs/architecture.md §4): per-token logits Linear(D, n) without bias,
// initialised N(0, router_init_range); q = softmax over all n; keep the top k (ties to the lower index), renormalise
// them to sum 1 and scale each by lora_alpha/r. In training, optional jitter multiplies the router input by
// U(1 − jitter_noise, 1 + jitter_noise), and the load-balancing loss coef · n · Σ_i f_i P_i is returned
// (f_i: share of valid tokens whose top-k holds i; P_i: mean q_i over valid tokens; minimum coef · k).
#include <remix/plugin.h>

namespace {

using remix::ParamType;

const remix::ParamSpec kParams[] = {
    remix::param("router_aux_loss_coef", ParamType::Float, "0.001", "weight of the load-balancing loss").range(0, 1e3),
    remix::param("router_init_range", ParamType::Float, "0.02", "std of the normal router init").range(0, 10),
    remix::param("jitter_noise", ParamType::Float, "0.0", "multiplicative input noise in training (0 = off)")
        .range(0, 1),
};

class SoftmaxRouter : public remix::Router {
 public:
  SoftmaxRouter(const remix::Params& p, const remix::RouterContext& c)
      : coef_(p.get_float("router_aux_loss_coef")),
        jitter_(p.get_float("jitter_noise")),
        scale_(c.lora_alpha / static_cast<double>(c.rank)),
        n_(c.num_experts),
        k_(c.top_k) {
    weight_ = register_parameter("weight", torch::empty({c.num_experts, c.input_dim}));
    torch::NoGradGuard no_grad;
    weight_.normal_(0.0, p.get_float("router_init_range"));
  }

  remix::RouteOutput route(const remix::RouteInput& in) override {
    auto x = in.x;
    if (in.training && jitter_ > 0) x = x * torch::empty_like(x).uniform_(1.0 - jitter_, 1.0 + jitter_);
    auto q = torch::softmax(torch::nn::functional::linear(x, weight_), -1);  // [B,T,n]
    remix::RouteOutput out;
    out.experts = remix::routing::topk_lower_index(q, k_);
    auto top = q.gather(-1, out.experts);
    out.weights = top / top.sum(-1, /*keepdim=*/true) * scale_;
    out.probs = q;
    if (in.training && coef_ > 0) {
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
  double coef_, jitter_, scale_;
  std::int64_t n_, k_;
  torch::Tensor weight_;
};

}  // namespace

REMIX_ROUTER_PLUGIN(SoftmaxRouter, "softmax", "1.0.0",
                    "MixLoRA-style: top-k of softmax renormalised, scaled lora_alpha/r, load-balancing aux loss",
                    kParams)
