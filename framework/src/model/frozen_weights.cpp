// Frozen weights stored in another dtype than they are computed in (see frozen_weights.h).
#include "model/frozen_weights.h"

namespace remix::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// y = x·Wᵀ for a W that is not trained and is stored in another dtype: saves W as stored, upcasts it in backward.
struct UpcastLinear : public torch::autograd::Function<UpcastLinear> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& W) {
    ctx->save_for_backward({W});
    return torch::matmul(x, in_compute_dtype(W, x).t());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto W = ctx->get_saved_variables()[0];
    const auto& g = grad_outputs[0];
    return {torch::matmul(g, in_compute_dtype(W, g)), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor in_compute_dtype(const torch::Tensor& w, const torch::Tensor& like) {
  return w.scalar_type() == like.scalar_type() ? w : w.to(like.scalar_type());
}

torch::Tensor frozen_linear(const torch::Tensor& x, const torch::Tensor& W, const torch::Tensor& b) {
  if (W.scalar_type() == x.scalar_type()) return torch::nn::functional::linear(x, W, b);
  auto y = UpcastLinear::apply(x, W);
  return b.defined() ? y + in_compute_dtype(b, y) : y;
}

}  // namespace remix::model
