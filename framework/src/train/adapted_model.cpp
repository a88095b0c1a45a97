// What the trainer asks of its model (see adapted_model.h).
#include "train/adapted_model.h"

namespace remix::train {

std::vector<std::pair<std::string, torch::Tensor>> AdaptedModel::trainable() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : model->named_parameters())
    if (p.value().requires_grad()) out.emplace_back(p.key(), p.value());
  return out;
}

std::int64_t AdaptedModel::active_lora_parameters(std::int64_t top_k) const {
  std::int64_t total = 0;
  for (const auto& m : mixture.modules) {
    const auto& o = m->bank->options();
    auto k = mixture.applies_every_expert ? o.num_experts() : std::min(top_k, o.num_experts());
    // Independent experts: k pairs (A_e, B_e). Shared A: the one A and k B heads.
    total += o.layout() == ExpertLayout::SharedA ? o.rank() * o.in() + k * o.rank() * o.out()
                                                 : k * o.rank() * (o.in() + o.out());
  }
  return total;
}

}  // namespace remix::train
