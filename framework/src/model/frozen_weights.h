// The frozen base's weight matrices may be stored in bfloat16 (`model.dtype: bfloat16`) to halve the memory a real
// model takes; everything is still computed in float32. A matrix is upcast where it is used — here, for the plain
// frozen projections and the output head, and in adapter/mixture_linear.cpp for the adapted ones — and only the
// stored bfloat16 tensor is kept for the backward pass (which upcasts it again), so no float32 copy of a weight
// outlives its product. With float32 storage these are the plain products, bit for bit.
#pragma once

#include <torch/torch.h>

namespace remix::model {

// `w` in `like`'s dtype (itself when they agree).
torch::Tensor in_compute_dtype(const torch::Tensor& w, const torch::Tensor& like);

// x·Wᵀ + b for x [..., in], W [out, in] (any storage dtype; not trained), b [out] or undefined.
torch::Tensor frozen_linear(const torch::Tensor& x, const torch::Tensor& W, const torch::Tensor& b);

}  // namespace remix::model
