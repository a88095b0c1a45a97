// The per-token, per-expert reference mixture (see mixture_reference.h).
#include "adapter/mixture_reference.h"

namespace remix::adapter {

torch::Tensor naive_mixture(const ExpertBankImpl& bank, const torch::Tensor& x, const torch::Tensor& experts,
                            const torch::Tensor& weights) {
  const auto N = x.size(0), k = experts.size(1);
  std::vector<torch::Tensor> rows;
  for (std::int64_t t = 0; t < N; ++t) {
    auto y = torch::zeros({bank.options().out()}, x.options());
    for (std::int64_t j = 0; j < k; ++j) {
      const auto e = experts[t][j].item<std::int64_t>();
      y = y + weights[t][j] * torch::mv(bank.expert_b(e), torch::mv(bank.expert_a(e), x[t]));
    }
    rows.push_back(y);
  }
  return torch::stack(rows);
}

}  // namespace remix::adapter
