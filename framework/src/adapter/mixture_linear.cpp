// The fused adapted projection and its hand-written backward (see mixture_linear.h).
#include "adapter/mixture_linear.h"

#include "model/frozen_weights.h"

namespace remix::adapter {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// [N, n·r] activations of the chosen experts: H (per expert, or shared) scaled by each token's expert weights.
torch::Tensor gate(const torch::Tensor& H, const torch::Tensor& M, std::int64_t r, bool shared_a) {
  const auto N = M.size(0), n = M.size(1);
  auto per_expert = shared_a ? H.unsqueeze(1) : H.view({N, n, r});
  return (per_expert * M.unsqueeze(-1)).view({N, n * r});
}

struct MixtureLinear : public torch::autograd::Function<MixtureLinear> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& x_lora,
                               const torch::Tensor& W, const torch::Tensor& A, const torch::Tensor& B,
                               const torch::Tensor& M, std::int64_t rank, bool shared_a) {
    auto H = torch::mm(x_lora, A.t());
    auto y = model::frozen_matmul(x, W.t());  // W saved as stored (bfloat16: model.dtype)
    y.addmm_(gate(H, M, rank, shared_a), B.t());
    ctx->save_for_backward({x, x_lora, W, A, B, M, H});
    ctx->saved_data["rank"] = rank;
    ctx->saved_data["shared_a"] = shared_a;
    ctx->saved_data["same_input"] = x.is_same(x_lora);
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &x_lora = saved[1], &W = saved[2], &A = saved[3], &B = saved[4], &M = saved[5],
               &H = saved[6];
    const auto rank = ctx->saved_data["rank"].toInt();
    const bool shared_a = ctx->saved_data["shared_a"].toBool(), same_input = ctx->saved_data["same_input"].toBool();
    const auto& g = grad_outputs[0];
    const auto N = M.size(0), n = M.size(1);

    auto g_gated = torch::mm(g, B);  // [N, n·r]
    torch::Tensor gx, gx_lora, gW, gA, gB, gM;
    if (ctx->needs_input_grad(4)) gB = torch::mm(g.t(), gate(H, M, rank, shared_a));
    if (ctx->needs_input_grad(5)) {
      auto per_expert = shared_a ? H.unsqueeze(1) : H.view({N, n, rank});
      gM = (g_gated.view({N, n, rank}) * per_expert).sum(-1);
    }
    // dL/dH: undo the gate (for shared_a, the n heads' contributions to the one A add up).
    auto gH = shared_a ? (g_gated.view({N, n, rank}) * M.unsqueeze(-1)).sum(1) : gate(g_gated, M, rank, false);
    if (ctx->needs_input_grad(3)) gA = torch::mm(gH.t(), x_lora);
    if (ctx->needs_input_grad(2)) gW = torch::mm(g.t(), x);
    if (same_input) {
      // One buffer for both paths' input gradient: g·W, then += dH·A in place.
      if (ctx->needs_input_grad(0) || ctx->needs_input_grad(1)) {
        gx = model::frozen_matmul(g, W);
        gx.addmm_(gH, A);
      }
    } else {
      if (ctx->needs_input_grad(0)) gx = model::frozen_matmul(g, W);
      if (ctx->needs_input_grad(1)) gx_lora = torch::mm(gH, A);
    }
    return {gx, gx_lora, gW, gA, gB, gM, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor mixture_linear(const torch::Tensor& x, const torch::Tensor& x_lora, const torch::Tensor& W,
                             const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& M, std::int64_t rank,
                             bool shared_a) {
  return MixtureLinear::apply(x, x_lora, W, A, B, M, rank, shared_a);
}

}  // namespace remix::adapter
