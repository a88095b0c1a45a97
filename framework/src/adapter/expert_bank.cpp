// The expert bank's fused mixture product (see expert_bank.h).
#include "adapter/expert_bank.h"

#include <cmath>

#include "adapter/mixture_linear.h"

namespace remix::adapter {

ExpertBankImpl::ExpertBankImpl(const ExpertBankOptions& options) : options_(options) {
  const auto n = options.num_experts(), r = options.rank();
  const auto a_rows = options.layout() == ExpertLayout::SharedA ? r : n * r;
  A = register_parameter("A", torch::empty({a_rows, options.in()}));
  B = register_parameter("B", torch::zeros({options.out(), n * r}));
  // PEFT's reset_lora_parameters: kaiming_uniform_(a=sqrt(5)) per A; fan_in is `in` for each expert and for the
  // stacked A_all alike, so initialising the stack at once is the same distribution.
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(A, std::sqrt(5.0));
}

torch::Tensor ExpertBankImpl::forward(const torch::Tensor& x, const torch::Tensor& x_lora,
                                      const torch::Tensor& base_weight, const torch::Tensor& weights) {
  return mixture_linear(x, x_lora, base_weight, A, B, weights, options_.rank(),
                        options_.layout() == ExpertLayout::SharedA);
}

torch::Tensor ExpertBankImpl::expert_a(std::int64_t e) const {
  const auto r = options_.rank();
  return options_.layout() == ExpertLayout::SharedA ? A : A.narrow(0, e * r, r);
}

torch::Tensor ExpertBankImpl::expert_b(std::int64_t e) const {
  const auto r = options_.rank();
  return B.narrow(1, e * r, r);
}

}  // namespace remix::adapter
