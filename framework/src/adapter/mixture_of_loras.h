// The Mixture-of-LoRAs attached to a frozen transformer (docs/architecture.md §4): per adapted projection a
// MixtureOfLoras (its expert bank and LoRA dropout), per sub-block (attention or FFN of a layer) a MixtureBlock that
// owns the routing sites and plugs into the transformer's adapter slot.
//
// Routing sites. Scope `block`: one router per sub-block that has adapted projections, on the sub-block's
// input after its RMSNorm, shared by those projections: "layers.i.ffn" for gate/up/down (the MixLoRA / ReMix
// placement) and "layers.i.attn" for q/k/v/o (the attention block's input feeds q, k and v; o shares the
// same per-token decision). Scope `module`: one router per adapted projection, on that projection's input
// ("layers.i.up", ...; HydraLoRA placement).
//
// Routers come from a RouterSource (the plugin's static traits and a factory callback), so this code never
// touches the plugin loader; the host passes the plugin's descriptor traits and
// `[lib, params](const RouterContext& c) { return lib->create_router(params, c); }`. Exactly one router is
// made per routing site, nothing else.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "adapter/expert_bank.h"
#include "adapter/mixture_options.h"
#include "adapter/routing_site.h"
#include "model/transformer.h"

namespace remix::adapter {

using RouterFactory = std::function<std::shared_ptr<Router>(const RouterContext&)>;

// A router plugin as the mixture sees it: its name (for messages), what it is, and how to make one.
struct RouterSource {
  std::string name;
  RouterTraits traits;
  RouterFactory make;
};

// One adapted projection: y = W x + Σ_e M[:,e] · B_e A_e dropout(x), W the frozen base weight.
class MixtureOfLorasImpl : public torch::nn::Module {
 public:
  MixtureOfLorasImpl(const ExpertBankOptions& bank, double dropout);
  // x [..., in], dense expert weights M [N, n] with N = x.numel() / in -> [..., out].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& base_weight, const torch::Tensor& weights);
  ExpertBank bank{nullptr};

 private:
  torch::nn::Dropout dropout_{nullptr};
  double dropout_p_;
};
TORCH_MODULE(MixtureOfLoras);

// One sub-block's mixture. With expert_combine ffn (an FFN block under one block-scope router) the block's output is
// Σ_e p_e · FFN_e(x) + (1 − Σ_e p_e) · FFN(x), FFN_e the SwiGLU with expert e's LoRAs at lora_alpha/r on its adapted
// projections and p_e = weight_e / (lora_alpha/r) — MixLoRA's experts, whose renormalised weights sum to 1. For a single
// linear map both combines give the same output; they differ through the SwiGLU once k ≥ 2.
class MixtureBlockImpl : public model::SubBlockAdapter {
 public:
  // `adapted` maps each adapted projection of this sub-block to its module; `sites` holds one site (block
  // scope, keyed by nullopt) or one per projection (module scope). `ffn_lora_scale` > 0 mixes whole expert FFNs
  // (see above; block scope only); 0 combines per projection.
  MixtureBlockImpl(std::map<model::Projection, MixtureOfLoras> adapted,
                   std::map<std::optional<model::Projection>, RoutingSite> sites, double ffn_lora_scale = 0);
  void begin(const torch::Tensor& x, const model::RoutingContext& ctx) override;
  torch::Tensor apply(model::Projection p, const torch::Tensor& in, torch::nn::Linear& base,
                      const model::RoutingContext& ctx) override;
  std::optional<torch::Tensor> feed_forward(const torch::Tensor& x, torch::nn::Linear& gate, torch::nn::Linear& up,
                                            torch::nn::Linear& down, const model::RoutingContext& ctx) override;

 private:
  // y = base(in) + this projection's experts under the dense weights [N, n].
  torch::Tensor project(model::Projection p, const torch::Tensor& in, torch::nn::Linear& base,
                        const torch::Tensor& weights);
  std::map<model::Projection, MixtureOfLoras> adapted_;
  std::map<std::optional<model::Projection>, RoutingSite> sites_;
  double ffn_lora_scale_;
  torch::Tensor block_x_;  // this forward's sub-block input, as begin() got it
  RoutingSiteImpl::Decision block_;  // this forward's block-scope decision
};

// What attach_mixture returns: the options as resolved (scope, layout), the sites and adapted projections
// (all registered inside the model), and the trainer's parameter groups.
struct AttachedMixture {
  MixtureOptions options;
  std::vector<RoutingSite> sites;
  std::vector<MixtureOfLoras> modules;
  bool needs_policy_gradient = false;
  bool applies_every_expert = false;  // a dense router: every expert acts on every token

  // The LoRA factors (A, B) of every expert bank.
  std::vector<torch::Tensor> adapter_parameters() const;
  // The routers' parameters (own learning rate, docs/architecture.md §4); empty for parameter-free routers.
  std::vector<torch::Tensor> router_parameters() const;
};

// Freezes the model's base parameters and attaches a mixture to every sub-block with a target projection,
// one router per site. Scope and layout follow MixtureOptions::fitted_to(router.traits): a ConfigError naming
// the key when the options contradict the router, raised before anything is changed.
AttachedMixture attach_mixture(model::Transformer& model, MixtureOptions options, const RouterSource& router);

}  // namespace remix::adapter
