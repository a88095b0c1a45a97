// The naive Mixture-of-LoRAs, kept beside the fast one (mixture_linear.h) as its reference (llm.c style): token
// by token, chosen expert by chosen expert, y_t = Σ_j w[t,j] · B_{e[t,j]} (A_{e[t,j]} x_t). Slow on purpose
// and obviously right; tests compare the fast path's outputs and gradients with it.
#pragma once

#include <torch/torch.h>

#include "adapter/expert_bank.h"

namespace remix::adapter {

// x [N, in], experts [N, k] int64, weights [N, k] -> [N, out].
torch::Tensor naive_mixture(const ExpertBankImpl& bank, const torch::Tensor& x, const torch::Tensor& experts,
                            const torch::Tensor& weights);

}  // namespace remix::adapter
