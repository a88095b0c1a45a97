// Building the trial's model (see trial_model.h).
#include "trial/trial_model.h"

#include "adapter/mixture_options.h"
#include "adapter/router_conformance.h"
#include "plugin/library.h"
#include "remix/errors.h"
#include "train/train_step.h"

namespace remix::trial {

adapter::RouterSource router_source(const config::ResolvedConfig& cfg) {
  const auto& schema = cfg.plugin("router");
  auto lib = plugin::PluginLibrary::open(schema.path);
  return {lib->name(), lib->router_traits(), lib->router_factory(cfg.plugin_params("router"))};
}

adapter::MixtureOptions fitted_mixture_options(const config::ResolvedConfig& cfg) {
  return adapter::mixture_options_from(cfg).fitted_to(cfg.plugin("router").router_traits);
}

void refuse_credit_the_router_cannot_take(const config::ResolvedConfig& cfg) {
  if (cfg.get_string("train.credit") != "to-go" || !cfg.plugin("router").router_traits.policy_gradient) return;
  auto source = router_source(cfg);
  if (!adapter::gives_token_log_prob(source, fitted_mixture_options(cfg).router_context("probe", 8)))
    throw PluginError(train::no_token_log_prob_message(source.name));
}

train::AdaptedModel build_trial_model(BaseModel base, const config::ResolvedConfig& cfg) {
  train::AdaptedModel t;
  t.model = base.model;
  t.tokenizer = base.tokenizer;
  t.tags = base.tags;
  auto options = adapter::mixture_options_from(cfg);
  // The adapters' and routers' initial values depend on the trial seed only (not on how the base was made).
  torch::manual_seed(static_cast<std::uint64_t>(cfg.get_int("seed")));
  t.mixture = adapter::attach_mixture(t.model, options, router_source(cfg));
  for (const auto& p : t.mixture.adapter_parameters()) t.lora_parameters += p.numel();
  for (const auto& p : t.mixture.router_parameters()) t.router_parameters += p.numel();
  t.tags["adapter.router_scope"] = adapter::scope_name(*t.mixture.options.scope());
  t.tags["adapter.layout"] = adapter::layout_name(*t.mixture.options.layout());
  t.tags["adapter.sites"] = std::to_string(t.mixture.sites.size());
  return t;
}

}  // namespace remix::trial
