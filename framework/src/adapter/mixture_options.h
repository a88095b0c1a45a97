// The options of a Mixture-of-LoRAs (docs/architecture.md §4): PEFT names for the LoRA part (r, lora_alpha,
// lora_dropout, target_modules), MixLoRA names for the mixture (num_experts, top_k), and where routers sit
// (router_scope) and how experts store their factors (layout). Built from the config's `adapter.*` keys or by hand;
// every check names the config key, so a bad value reads the same either way.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "model/adapter_slot.h"
#include "remix/router.h"

namespace remix::config {
class ResolvedConfig;
}

namespace remix::adapter {

enum class ExpertCombine { Projection, Ffn };

struct MixtureOptions {
  TORCH_ARG(std::int64_t, r) = 4;
  TORCH_ARG(double, lora_alpha) = 8.0;
  TORCH_ARG(double, lora_dropout) = 0.0;
  TORCH_ARG(std::vector<model::Projection>, targets) = std::vector<model::Projection>{
      model::Projection::Gate, model::Projection::Up, model::Projection::Down};
  TORCH_ARG(std::int64_t, num_experts) = 8;
  TORCH_ARG(std::int64_t, top_k) = 2;
  // nullopt = auto: what the router requires, else block scope / independent experts.
  TORCH_ARG(std::optional<RouterScope>, scope) = std::nullopt;
  TORCH_ARG(std::optional<ExpertLayout>, layout) = std::nullopt;
  // How an FFN sub-block's chosen experts combine (adapter.expert_combine): each adapted projection adds its experts'
  // weighted LoRA outputs (the default), or whole expert FFNs are mixed (MixLoRA's; see MixtureBlockImpl).
  TORCH_ARG(ExpertCombine, expert_combine) = ExpertCombine::Projection;
  // The router plugin's name, for messages ("router plugin 'softmax' ...").
  TORCH_ARG(std::string, router_name) = "router";

 public:
  // ConfigError naming the key: r <= 0, top_k > num_experts or < 1, no target module, dropout outside [0, 1),
  // expert_combine ffn without an FFN projection to adapt.
  void validate() const;
  // These options made to fit a router of these traits: scope and layout set (the config's choice, else what
  // the router requires, else block / independent). ConfigError naming the key when the config contradicts
  // the router (adapter.router_scope, adapter.layout, adapter.num_experts). Builds nothing.
  MixtureOptions fitted_to(const RouterTraits& traits) const;
  bool targets(model::Projection p) const;
  // What a router at `site` reading `input_dim` features is told about it (n, k, r, lora_alpha from here).
  RouterContext router_context(const std::string& site, std::int64_t input_dim) const;
};

// adapter.target_modules -> projections; ConfigError naming the key for an unknown name or an empty list.
std::vector<model::Projection> parse_target_modules(const std::vector<std::string>& names);
MixtureOptions mixture_options_from(const config::ResolvedConfig& cfg);

const char* scope_name(RouterScope s);    // "block" | "module"
const char* layout_name(ExpertLayout l);  // "independent" | "shared_a"
const char* combine_name(ExpertCombine c);  // "projection" | "ffn"

}  // namespace remix::adapter
