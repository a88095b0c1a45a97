// Frozen weights stored in another dtype than they are computed in (see frozen_weights.h).
#include "model/frozen_weights.h"

namespace remix::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// y = x·Wᵀ for a W that is not trained and is stored in another dtype: saves W as stored.
struct StoredDtypeLinear : public torch::autograd::Function<StoredDtypeLinear> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& W, int64_t how) {
    ctx->save_for_backward({W});
    ctx->saved_data["how"] = how;
    return frozen_matmul(x, W.t(), static_cast<FrozenProduct>(how));
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto W = ctx->get_saved_variables()[0];
    const auto how = static_cast<FrozenProduct>(ctx->saved_data["how"].toInt());
    return {frozen_matmul(grad_outputs[0], W, how), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor frozen_matmul(const torch::Tensor& a, const torch::Tensor& w, FrozenProduct how) {
  if (w.scalar_type() == a.scalar_type()) return torch::matmul(a, w);
  const bool low = how == FrozenProduct::LowPrecision || (how == FrozenProduct::ByDevice && a.is_cuda());
  return low ? torch::matmul(a.to(w.scalar_type()), w).to(a.scalar_type()) : torch::matmul(a, w.to(a.scalar_type()));
}

torch::Tensor frozen_linear(const torch::Tensor& x, const torch::Tensor& W, const torch::Tensor& b, FrozenProduct how) {
  if (W.scalar_type() == x.scalar_type()) return torch::nn::functional::linear(x, W, b);
  auto y = StoredDtypeLinear::apply(x, W, static_cast<int64_t>(how));
  return b.defined() ? y + b.to(y.scalar_type()) : y;
}

}  // namespace remix::model
