// What model, adapter and router tests share: small random transformers, router plugins loaded through the
// real loader from the build's plugin folder with their schema defaults (plus overrides), and a mixture
// attached to a model in one call.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "adapter/mixture_of_loras.h"
#include "model/transformer.h"
#include "plugin/library.h"
#include "remix/params.h"

namespace remix::test {

// dim 32, 2 layers, 4 query / 2 KV heads, FFN 48, context 64, byte vocabulary.
model::TransformerOptions tiny_options();
// A model with every matrix drawn N(0, weight_std) under `seed` (larger than the pretraining init so that its
// logits are far from ties and greedy decoding is stable under float rounding).
model::Transformer tiny_model(std::uint64_t seed, double weight_std = 0.3,
                              const model::TransformerOptions& options = tiny_options());

// The router plugin `name` from build/plugins.
std::shared_ptr<plugin::PluginLibrary> router_plugin(const std::string& name);
// Its parameter table's defaults with `overrides` applied.
Params router_params(const plugin::PluginLibrary& lib, const std::map<std::string, ParamValue>& overrides = {});
// The plugin as attach_mixture takes it: name, descriptor traits, factory with those parameters.
adapter::RouterSource router_source(const std::string& name, const std::map<std::string, ParamValue>& overrides = {});

// Fills every expert bank's B (zero after init) with N(0, std) so the adapters change the model.
void randomize_adapters(const adapter::AttachedMixture& mixture, double std = 0.3);

}  // namespace remix::test
