// The LoRA experts of one adapted projection (docs/architecture.md §4, §10), initialised as PEFT does: each A
// Kaiming-uniform (a = √5, i.e. U(−1/√in, 1/√in)), each B zero, so a fresh adapter changes nothing.
//
// Layouts: `independent` stores n pairs as A_all [n·r, in] and B_all [out, n·r]; `shared_a` (HydraLoRA) stores
// one A [r, in] and the n B heads as B_all [out, n·r]. Either way the mixture for per-token expert weights
// M [N, n] is two large matrix products with a cheap mask between them, never a loop over tokens or experts:
//   H = x·A_allᵀ  (independent: [N, n·r]; shared_a: [N, r] broadcast to n heads)
//   y = x·Wᵀ + (H ⊙ M expanded over r) · B_allᵀ          (fused with the frozen projection W: mixture_linear.h)
// Scaling (lora_alpha/r, ω) lives in the router's weights, not here.
#pragma once

#include <torch/torch.h>

#include "remix/router.h"

namespace remix::adapter {

struct ExpertBankOptions {
  ExpertBankOptions(std::int64_t in, std::int64_t out, std::int64_t num_experts, std::int64_t rank)
      : in_(in), out_(out), num_experts_(num_experts), rank_(rank) {}
  TORCH_ARG(std::int64_t, in);
  TORCH_ARG(std::int64_t, out);
  TORCH_ARG(std::int64_t, num_experts);
  TORCH_ARG(std::int64_t, rank);
  TORCH_ARG(ExpertLayout, layout) = ExpertLayout::Independent;
};

class ExpertBankImpl : public torch::nn::Module {
 public:
  explicit ExpertBankImpl(const ExpertBankOptions& options);
  // The adapted projection x·Wᵀ + Σ_e M[:,e]·B_e A_e x_lora for x, x_lora [N, in], the frozen base weight
  // W [out, in] and dense per-token expert weights M [N, n] (zero for experts not chosen).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& x_lora, const torch::Tensor& base_weight,
                        const torch::Tensor& weights);

  // Expert e's factors as views of the parameters (gradients flow through them): A_e [r, in], B_e [out, r].
  torch::Tensor expert_a(std::int64_t e) const;
  torch::Tensor expert_b(std::int64_t e) const;
  const ExpertBankOptions& options() const { return options_; }

  torch::Tensor A, B;

 private:
  ExpertBankOptions options_;
};
TORCH_MODULE(ExpertBank);

}  // namespace remix::adapter
