// Building the trial's model (see trial_model.h).
#include "train/trial_model.h"

#include "adapter/mixture_options.h"
#include "plugin/library.h"

namespace remix::train {

std::vector<std::pair<std::string, torch::Tensor>> TrialModel::trainable() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : model->named_parameters())
    if (p.value().requires_grad()) out.emplace_back(p.key(), p.value());
  return out;
}

std::int64_t TrialModel::active_lora_parameters(std::int64_t active) const {
  std::int64_t total = 0;
  for (const auto& m : mixture.modules) {
    const auto& o = m->bank->options();
    auto k = std::min(active, o.num_experts());
    // Independent experts: k pairs (A_e, B_e). Shared A: the one A and k B heads.
    total += o.layout() == ExpertLayout::SharedA ? o.rank() * o.in() + k * o.rank() * o.out()
                                                 : k * o.rank() * (o.in() + o.out());
  }
  return total;
}

TrialModel build_trial_model(const config::ResolvedConfig& cfg, const TaskSet& tasks, store::ResultsDb& db) {
  return adapt_base_model(obtain_base_model(cfg, tasks, db), cfg);
}

TrialModel adapt_base_model(BaseModel base, const config::ResolvedConfig& cfg) {
  TrialModel t;
  t.model = base.model;
  t.tokenizer = base.tokenizer;
  t.tags = base.tags;
  auto lib = plugin::PluginLibrary::open(cfg.plugin("router").path);
  auto options = adapter::mixture_options_from(cfg);
  // The adapters' and routers' initial values depend on the trial seed only (not on how the base was made).
  torch::manual_seed(static_cast<std::uint64_t>(cfg.get_int("seed")));
  t.mixture = adapter::attach_mixture(t.model, options, lib->router_factory(cfg.plugin_params("router")));
  for (const auto& p : t.mixture.adapter_parameters()) t.lora_parameters += p.numel();
  for (const auto& p : t.mixture.router_parameters()) t.router_parameters += p.numel();
  t.tags["adapter.router_scope"] = adapter::scope_name(*t.mixture.options.scope());
  t.tags["adapter.layout"] = adapter::layout_name(*t.mixture.options.layout());
  t.tags["adapter.sites"] = std::to_string(t.mixture.sites.size());
  return t;
}

}  // namespace remix::train
