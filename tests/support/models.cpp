// Shared model / router fixtures for tests (see models.h).
#include "support/models.h"

#include "plugin/registry.h"
#include "support/test_env.h"

namespace remix::test {

model::TransformerOptions tiny_options() {
  model::TransformerOptions o;
  o.vocab_size(259).dim(32).n_layers(2).n_heads(4).n_kv_heads(2).ffn_dim(48).max_seq_len(64);
  return o;
}

model::Transformer tiny_model(std::uint64_t seed, double weight_std, const model::TransformerOptions& options) {
  torch::manual_seed(seed);
  model::Transformer m(options);
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters())
    if (p.dim() == 2) p.normal_(0.0, weight_std);
  return m;
}

std::shared_ptr<plugin::PluginLibrary> router_plugin(const std::string& name) {
  plugin::PluginRegistry registry({plugin_dir()});
  return registry.find(PluginKind::Router, name);
}

Params router_params(const plugin::PluginLibrary& lib, const std::map<std::string, ParamValue>& overrides) {
  Params p = lib.default_params();
  for (const auto& [k, v] : overrides) p.set(k, v);
  return p;
}

adapter::RouterSource router_source(const std::string& name, const std::map<std::string, ParamValue>& overrides) {
  auto lib = router_plugin(name);
  return {lib->name(), lib->router_traits(), lib->router_factory(router_params(*lib, overrides))};
}

void randomize_adapters(const adapter::AttachedMixture& mixture, double std) {
  torch::NoGradGuard no_grad;
  for (const auto& m : mixture.modules) m->bank->B.normal_(0.0, std);
}

}  // namespace remix::test
