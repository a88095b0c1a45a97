// The HydraLoRA-style router (docs/architecture.md §4): one shared A and n B heads per adapted projection (expert
// layout shared_a), a router per projection on that projection's input (router scope module), and a dense softmax
// over all heads: every head runs, weighted q_i · lora_alpha/r (top_k is not used). The router is a Linear
// without bias initialised like a PEFT / torch Linear (Kaiming-uniform, a = √5); no auxiliary loss.
#include <remix/plugin.h>

#include <cmath>

namespace {

class HydraRouter : public remix::Router {
 public:
  HydraRouter(const remix::Params&, const remix::RouterContext& c)
      : scale_(c.lora_alpha / static_cast<double>(c.rank)), n_(c.num_experts) {
    weight_ = register_parameter("weight", torch::empty({c.num_experts, c.input_dim}));
    torch::NoGradGuard no_grad;
    torch::nn::init::kaiming_uniform_(weight_, std::sqrt(5.0));
  }

  static constexpr remix::RouterTraits traits =
      remix::RouterTraits().layout(remix::ExpertLayout::SharedA).scope(remix::RouterScope::Module)
          .applies_every_expert();  // dense: all n B heads act on every token

  remix::RouteOutput route(const remix::RouteInput& in) override {
    const auto B = in.x.size(0), T = in.x.size(1);
    auto q = torch::softmax(torch::nn::functional::linear(in.x, weight_), -1);
    remix::RouteOutput out;
    out.experts = torch::arange(n_, in.x.options().dtype(torch::kLong)).expand({B, T, n_}).contiguous();
    out.weights = q * scale_;
    out.probs = q;
    return out;
  }

 private:
  double scale_;
  std::int64_t n_;
  torch::Tensor weight_;
};

}  // namespace

REMIX_ROUTER_PLUGIN(HydraRouter, "hydra", "1.0.0",
                    "HydraLoRA-style: shared A, dense softmax over the B heads, one router per adapted projection",
                    remix::no_params)
