// The expert bank's fused projection (base, A and B products, hand-written backward) against the naive
// per-token, per-expert reference kept beside it: equal outputs and equal gradients for A, B, the input, the
// routing weights and (only when it is trainable) the base weight, in both layouts, with the LoRA input shared
// with the base path or separate (dropout); and PEFT's initialisation (A Kaiming-uniform within ±1/√in, B zero).
#include <gtest/gtest.h>

#include <cmath>

#include "adapter/expert_bank.h"
#include "adapter/mixture_reference.h"

namespace remix::adapter {
namespace {

struct Result {
  torch::Tensor out, A, B, x, w, W;
};

// The projection y = x·Wᵀ + mixture(lora input), fast (fused) or naive. The LoRA input is x itself, or (as after
// dropout) another tensor computed from x, which exercises the fused backward's second input-gradient path.
Result run(ExpertBankImpl& bank, const torch::Tensor& W0, const torch::Tensor& x0, const torch::Tensor& experts,
           const torch::Tensor& w0, const torch::Tensor& upstream, bool naive, bool separate_lora_input,
           bool train_base) {
  auto x = x0.clone().requires_grad_(true);
  auto w = w0.clone().requires_grad_(true);
  auto W = W0.clone().requires_grad_(train_base);
  bank.zero_grad();
  auto x_lora = separate_lora_input ? x * 0.5 : x;
  torch::Tensor out;
  if (naive) {
    out = torch::mm(x, W.t()) + naive_mixture(bank, x_lora, experts, w);
  } else {
    auto dense = torch::zeros({x.size(0), bank.options().num_experts()}).scatter_add(1, experts, w);
    out = bank.forward(x, x_lora, W, dense);
  }
  (out * upstream).sum().backward();
  return {out.detach(), bank.A.grad().clone(), bank.B.grad().clone(), x.grad(), w.grad(), W.grad()};
}

class ExpertBankLayouts : public ::testing::TestWithParam<ExpertLayout> {};

TEST_P(ExpertBankLayouts, FastPathEqualsNaiveReferenceInOutputAndGradients) {
  torch::manual_seed(0);
  const std::int64_t N = 37, in = 12, out = 10, n = 5, r = 3, k = 2;
  ExpertBank bank(ExpertBankOptions(in, out, n, r).layout(GetParam()));
  {
    torch::NoGradGuard no_grad;
    bank->B.normal_();  // non-zero, so every gradient is non-trivial
  }
  auto W = torch::randn({out, in});
  auto x = torch::randn({N, in});
  auto experts = std::get<1>(torch::rand({N, n}).topk(k, -1));  // k distinct experts per token
  auto w = torch::rand({N, k});
  auto upstream = torch::randn({N, out});
  for (bool separate : {false, true}) {
    for (bool train_base : {false, true}) {
      SCOPED_TRACE(std::string(separate ? "separate LoRA input" : "shared input") + (train_base ? ", W trained" : ""));
      auto fast = run(*bank, W, x, experts, w, upstream, false, separate, train_base);
      auto naive = run(*bank, W, x, experts, w, upstream, true, separate, train_base);
      EXPECT_TRUE(torch::allclose(fast.out, naive.out, 1e-5, 1e-5));
      EXPECT_TRUE(torch::allclose(fast.A, naive.A, 1e-5, 1e-5));
      EXPECT_TRUE(torch::allclose(fast.B, naive.B, 1e-5, 1e-5));
      EXPECT_TRUE(torch::allclose(fast.x, naive.x, 1e-5, 1e-5));
      EXPECT_TRUE(torch::allclose(fast.w, naive.w, 1e-5, 1e-5));
      EXPECT_GT(fast.A.abs().sum().item<double>(), 0);
      EXPECT_GT(fast.w.abs().sum().item<double>(), 0);
      // A frozen base weight gets no gradient; a trainable one gets the right one.
      EXPECT_EQ(fast.W.defined(), train_base);
      if (train_base) EXPECT_TRUE(torch::allclose(fast.W, naive.W, 1e-5, 1e-5));
    }
  }
}

TEST_P(ExpertBankLayouts, InitialisedAsPeft) {
  torch::manual_seed(1);
  const std::int64_t in = 64, n = 4, r = 8;
  ExpertBank bank(ExpertBankOptions(in, 16, n, r).layout(GetParam()));
  EXPECT_EQ(bank->A.size(0), GetParam() == ExpertLayout::SharedA ? r : n * r);
  EXPECT_EQ(bank->B.sizes(), (std::vector<std::int64_t>{16, n * r}));
  EXPECT_EQ(bank->B.abs().sum().item<double>(), 0.0);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  EXPECT_LE(bank->A.abs().max().item<double>(), bound);
  EXPECT_GT(bank->A.abs().max().item<double>(), 0.9 * bound);  // uniform over the whole range, not a narrow init
  // U(-b, b) has variance b²/3.
  EXPECT_NEAR(bank->A.var().item<double>(), bound * bound / 3.0, 0.25 * bound * bound / 3.0);
}

INSTANTIATE_TEST_SUITE_P(Both, ExpertBankLayouts, ::testing::Values(ExpertLayout::Independent, ExpertLayout::SharedA),
                         [](const auto& info) {
                           return info.param == ExpertLayout::Independent ? "independent" : "shared_a";
                         });

}  // namespace
}  // namespace remix::adapter
