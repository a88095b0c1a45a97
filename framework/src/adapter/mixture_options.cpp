// Mixture options: parsing the adapter.* keys and checking them (see mixture_options.h).
#include "adapter/mixture_options.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/resolved_config.h"
#include "remix/errors.h"

namespace remix::adapter {

const char* scope_name(RouterScope s) { return s == RouterScope::Block ? "block" : "module"; }
const char* layout_name(ExpertLayout l) { return l == ExpertLayout::Independent ? "independent" : "shared_a"; }
const char* combine_name(ExpertCombine c) { return c == ExpertCombine::Projection ? "projection" : "ffn"; }

void MixtureOptions::validate() const {
  if (r_ < 1) throw ConfigError(fmt::format("adapter.r: the LoRA rank must be at least 1, got {}", r_));
  if (num_experts_ < 1) throw ConfigError(fmt::format("adapter.num_experts: must be at least 1, got {}", num_experts_));
  if (top_k_ < 1 || top_k_ > num_experts_)
    throw ConfigError(
        fmt::format("adapter.top_k: must be between 1 and adapter.num_experts={}, got {}", num_experts_, top_k_));
  if (lora_dropout_ < 0 || lora_dropout_ >= 1)
    throw ConfigError(fmt::format("adapter.lora_dropout: must be in [0, 1), got {}", lora_dropout_));
  if (targets_.empty())
    throw ConfigError("adapter.target_modules: no module to adapt; name some of q|k|v|o|gate|up|down");
  if (expert_combine_ == ExpertCombine::Ffn &&
      std::none_of(targets_.begin(), targets_.end(), [](auto p) { return !model::is_attention(p); }))
    throw ConfigError(
        "adapter.expert_combine: ffn mixes whole expert FFNs, but adapter.target_modules adapts none of gate|up|down");
}

namespace {

// The config's choice, or what the router needs, or the default; ConfigError when the two disagree.
template <class T>
T resolve_requirement(const std::optional<T>& configured, const std::optional<T>& required, T fallback, const char* key,
                      const std::string& router, const char* (*name)(T)) {
  if (configured && required && *configured != *required)
    throw ConfigError(fmt::format("{}: is {}, but router plugin '{}' needs {}; set {} to {} or auto", key,
                                  name(*configured), router, name(*required), key, name(*required)));
  return configured ? *configured : required ? *required : fallback;
}

}  // namespace

MixtureOptions MixtureOptions::fitted_to(const RouterTraits& traits) const {
  validate();
  if (traits.max_experts > 0 && num_experts_ > traits.max_experts)
    throw ConfigError(fmt::format(
        "adapter.num_experts: router plugin '{}' routes at most {} expert{} per site, got {}; set "
        "adapter.num_experts{}{}",
        router_name_, traits.max_experts, traits.max_experts == 1 ? "" : "s", num_experts_,
        traits.max_experts == 1 ? " and adapter.top_k to 1" : fmt::format(" to at most {}", traits.max_experts),
        traits.max_experts == 1 ? " (a single LoRA: as the baseline of a mixture of n experts of rank r with top-k "
                                  "k, set adapter.r to k*r for equal active or n*r for equal trainable parameters)"
                                : ""));
  MixtureOptions o = *this;
  o.scope(resolve_requirement(scope_, traits.required_scope(), RouterScope::Block, "adapter.router_scope",
                              router_name_, scope_name));
  o.layout(resolve_requirement(layout_, traits.required_layout(), ExpertLayout::Independent, "adapter.layout",
                               router_name_, layout_name));
  if (expert_combine_ == ExpertCombine::Ffn && *o.scope() != RouterScope::Block)
    throw ConfigError(fmt::format(
        "adapter.expert_combine: ffn mixes whole expert FFNs under one router per FFN block, but the routers sit per "
        "projection (adapter.router_scope: module{}); use adapter.expert_combine: projection",
        traits.required_scope() ? fmt::format(", which router plugin '{}' needs", router_name_) : ""));
  return o;
}

bool MixtureOptions::targets(model::Projection p) const {
  return std::find(targets_.begin(), targets_.end(), p) != targets_.end();
}

RouterContext MixtureOptions::router_context(const std::string& site, std::int64_t input_dim) const {
  RouterContext c;
  c.site = site;
  c.input_dim = input_dim;
  c.num_experts = num_experts_;
  c.top_k = top_k_;
  c.rank = r_;
  c.lora_alpha = lora_alpha_;
  return c;
}

std::vector<model::Projection> parse_target_modules(const std::vector<std::string>& names) {
  std::vector<model::Projection> out;
  for (const auto& name : names) {
    auto p = model::parse_projection(name);
    if (!p)
      throw ConfigError(
          fmt::format("adapter.target_modules: unknown module '{}'; the modules are q|k|v|o|gate|up|down (or PEFT's q_proj, ..., down_proj)", name));
    if (std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
  }
  if (out.empty()) throw ConfigError("adapter.target_modules: no module to adapt; name some of q|k|v|o|gate|up|down");
  return out;
}

MixtureOptions mixture_options_from(const config::ResolvedConfig& cfg) {
  MixtureOptions o;
  o.r(cfg.get_int("adapter.r"))
      .lora_alpha(cfg.get_float("adapter.lora_alpha"))
      .lora_dropout(cfg.get_float("adapter.lora_dropout"))
      .targets(parse_target_modules(cfg.get<std::vector<std::string>>("adapter.target_modules")))
      .num_experts(cfg.get_int("adapter.num_experts"))
      .top_k(cfg.get_int("adapter.top_k"));
  auto scope = cfg.get_string("adapter.router_scope");
  if (scope != "auto") o.scope(scope == "module" ? RouterScope::Module : RouterScope::Block);
  auto layout = cfg.get_string("adapter.layout");
  if (layout != "auto") o.layout(layout == "shared_a" ? ExpertLayout::SharedA : ExpertLayout::Independent);
  if (cfg.get_string("adapter.expert_combine") == "ffn") o.expert_combine(ExpertCombine::Ffn);
  if (cfg.has("router.plugin")) o.router_name(cfg.get_string("router.plugin"));
  o.validate();
  return o;
}

}  // namespace remix::adapter
