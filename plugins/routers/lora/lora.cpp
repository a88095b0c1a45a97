// The single-LoRA baseline (docs/architecture.md §4): one expert, no routing; every token gets weight
// lora_alpha/r. Its traits say it routes at most one expert, so the host refuses adapter.num_experts > 1 before
// it builds anything; the constructor checks again for hosts that build it directly. The two fair baselines are set by
// the rank: adapter.r = k·r of the mixture it is compared with (equal activated parameters) or n·r (equal
// trainable parameters).
#include <remix/plugin.h>

#include <stdexcept>
#include <string>

namespace {

class LoraRouter : public remix::Router {
 public:
  static constexpr remix::RouterTraits traits = remix::RouterTraits().at_most_experts(1);

  LoraRouter(const remix::Params&, const remix::RouterContext& c) : scale_(c.lora_alpha / static_cast<double>(c.rank)) {
    if (c.num_experts != 1 || c.top_k != 1)
      throw remix::ConfigError(
          "adapter.num_experts: the lora router is a single LoRA and needs adapter.num_experts=1 and adapter.top_k=1, "
          "got adapter.num_experts=" +
          std::to_string(c.num_experts) + " and adapter.top_k=" + std::to_string(c.top_k) +
          "; for the baselines of a mixture with n experts of rank r and top-k k, set adapter.r to k*r (equal "
          "activated parameters) or n*r (equal trainable parameters)");
  }

  remix::RouteOutput route(const remix::RouteInput& in) override {
    const auto B = in.x.size(0), T = in.x.size(1);
    remix::RouteOutput out;
    out.experts = torch::zeros({B, T, 1}, in.x.options().dtype(torch::kLong));
    out.weights = torch::full({B, T, 1}, scale_, in.x.options().requires_grad(false));
    out.probs = torch::ones({B, T, 1}, in.x.options().requires_grad(false));
    return out;
  }

 private:
  double scale_;
};

}  // namespace

REMIX_ROUTER_PLUGIN(LoraRouter, "lora", "1.0.0", "single LoRA baseline: one expert, weight lora_alpha/r",
                    remix::no_params)
