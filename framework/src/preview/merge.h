// Merging per-task adapters into one model for a task weighting α on the simplex (Monzón Maldonado et al.,
// arXiv 2412.08147, "How to Weight Multitask Finetuning? Fast Previews via Bayesian Model-Merging"), per
// trainable tensor, written from the paper's equations:
//
//   arithmetic   θ_α = Σ_t α_t θ_t                           (task arithmetic: an isotropic Gaussian posterior)
//   precision    θ_α = (H₀ + Σ_t α_t H_t)⁻¹ (H₀ θ₀ + Σ_t α_t H_t θ_t)   elementwise (a diagonal Gaussian posterior:
//                H_t a diagonal precision of task t's parameters, squared gradients or IVON's Hessian; H₀ a
//                prior precision at the shared start θ₀). A tensor no run measured any precision for (zero in
//                every run: a ReMix router under squared gradients, which eval-mode routing never differentiates)
//                would fall back to θ₀; it is merged arithmetically instead, and named.
//   delta-w      for a single LoRA (one expert): Σ_t α_t B_t A_t is itself a LoRA, of rank Σ_t r: A stacks the
//                A_t, B stacks the α_t B_t side by side. Exact; the merged model has rank T·r.
//
// Tensors are matched by parameter name; every source must hold the same names and shapes.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace remix::preview {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

NamedTensors merge_arithmetic(const std::vector<NamedTensors>& task_params, const std::vector<double>& alpha);
struct PrecisionMerge {
  NamedTensors tensors;
  std::vector<std::string> arithmetic;  // tensors without a precision in any run, merged arithmetically
};
PrecisionMerge merge_precision(const NamedTensors& start, double prior_precision,
                               const std::vector<NamedTensors>& task_params,
                               const std::vector<NamedTensors>& precisions, const std::vector<double>& alpha);
// The single-LoRA factors of each task concatenated: a name ending in ".A" stacks along rows, ".B" along columns
// scaled by α_t. (The model that holds them has rank T·r and lora_alpha T·lora_alpha, so lora_alpha/r stays.)
NamedTensors merge_delta_w(const std::vector<NamedTensors>& task_params, const std::vector<double>& alpha);

// The mean of every tensor's mean: the scale a relative prior precision is taken against.
double mean_precision(const std::vector<NamedTensors>& precisions);

}  // namespace remix::preview
