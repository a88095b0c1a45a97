// The model of a trial: its base (trial/base_sources.h) with the router plugin's Mixture-of-LoRAs attached,
// initialised under the trial seed: one router per routing site, made there and nowhere else.
#pragma once

#include "adapter/mixture_of_loras.h"
#include "config/resolved_config.h"
#include "train/adapted_model.h"
#include "trial/base_sources.h"

namespace remix::trial {

// The config's router plugin as the mixture uses it: its name, its descriptor's traits, a factory with the
// config's parameters.
adapter::RouterSource router_source(const config::ResolvedConfig& cfg);
// The mixture options of the config fitted to its router plugin (adapter.* keys against the plugin's traits):
// ConfigError naming the key when they contradict. Builds nothing, so a trial checks this first.
adapter::MixtureOptions fitted_mixture_options(const config::ResolvedConfig& cfg);

// train.credit: to-go with a policy-gradient router that gives no per-token log-probability (ReMix at sequence
// granularity): refused by probing a router the plugin makes, before the trial obtains its base.
void refuse_credit_the_router_cannot_take(const config::ResolvedConfig& cfg);

train::AdaptedModel build_trial_model(BaseModel base, const config::ResolvedConfig& cfg);

}  // namespace remix::trial
