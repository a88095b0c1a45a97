// The frozen base's weight matrices may be stored in bfloat16 (`model.dtype: bfloat16`) to halve the memory a real
// model takes; activations, adapters, routers and losses stay float32. Where a stored bfloat16 matrix meets a float32
// activation (`frozen_matmul`), the product is taken
//   - on a GPU in bfloat16: the activation is rounded to bfloat16, the GPU's bfloat16 matmul (float32 accumulation)
//     runs at several times the float32 rate, and the product comes back in float32;
//   - on the CPU in float32: the matrix is upcast (LibTorch's CPU bfloat16 matmul is slower than float32, and the
//     CPU results stay those of float32 storage up to the weights' rounding).
// Either way only the stored bfloat16 tensor is kept for the backward pass, so no float32 copy of a weight outlives
// its product, and the adapters' own products (and so their gradients) are float32. With float32 storage these are
// the plain products, bit for bit. Used for the plain frozen projections and the output head here, and for the
// adapted ones in adapter/mixture_linear.cpp.
#pragma once

#include <torch/torch.h>

namespace remix::model {

// Where a product with a bfloat16 weight is computed: by the activation's device (the default), or forced either way
// (tests compare the two on any device).
enum class FrozenProduct { ByDevice, Upcast, LowPrecision };

// a·w for a float32 activation `a` and a frozen `w` in any storage dtype, in float32.
torch::Tensor frozen_matmul(const torch::Tensor& a, const torch::Tensor& w,
                            FrozenProduct how = FrozenProduct::ByDevice);

// x·Wᵀ + b for x [..., in], W [out, in] (any storage dtype; not trained), b [out] or undefined.
torch::Tensor frozen_linear(const torch::Tensor& x, const torch::Tensor& W, const torch::Tensor& b,
                            FrozenProduct how = FrozenProduct::ByDevice);

}  // namespace remix::model
