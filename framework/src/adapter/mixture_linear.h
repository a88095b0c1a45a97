// The fused forward and backward of one adapted projection (docs/architecture.md §10), as a custom autograd function:
//   y = x·Wᵀ + ((x_lora·A_allᵀ) ⊙ M expanded over r) · B_allᵀ
// with W the frozen base weight [out, in], x_lora the LoRA input (x, or x after LoRA dropout), A_all / B_all the
// expert bank's stacked factors and M [N, n] the per-token expert weights (zero for experts not chosen).
//
// Written by hand rather than left to autograd because the layer's cost is its matrix products: forward is
// three (base, A, B) with the LoRA term accumulated into the base output in place; backward is five (the input
// gradient of base and LoRA accumulated in one buffer, and the gradients of A and B), with no intermediate
// buffers beyond the [N, n·r] activations and no gradient for W unless W requires one.
#pragma once

#include <torch/torch.h>

namespace remix::adapter {

// x, x_lora [N, in]; W [out, in]; A [n·r, in] (or [r, in] with shared_a); B [out, n·r]; M [N, n] -> [N, out].
torch::Tensor mixture_linear(const torch::Tensor& x, const torch::Tensor& x_lora, const torch::Tensor& W,
                             const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& M, std::int64_t rank,
                             bool shared_a);

}  // namespace remix::adapter
