// model.dtype: bfloat16 — the frozen weight matrices stored in bfloat16, computed in float32: a model stored so gives
// exactly the logits and the adapters' and routers' gradients of the float32 model whose matrices hold the same
// (bfloat16-rounded) values, for every router's mixture (adapted projections through the fused path, the others
// and the head through the frozen linear), and its matrices take half the memory; norms and adapters stay float32.
// On a GPU the product with a bfloat16 matrix is taken in bfloat16: forced here on the CPU, it is exactly the
// bfloat16 product returned in float32, forward and backward, within bfloat16's rounding of the float32 one.
#include <gtest/gtest.h>

#include "adapter/mixture_of_loras.h"
#include "adapter/mixture_options.h"
#include "model/frozen_weights.h"
#include "support/models.h"

namespace remix::model {
namespace {

using adapter::MixtureOptions;

// The model with every weight matrix rounded to bfloat16's precision (still float32).
Transformer rounded_model(std::uint64_t seed) {
  auto m = test::tiny_model(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : m->base_parameters())
    if (p.dim() == 2) p.copy_(p.to(torch::kBFloat16).to(torch::kFloat32));
  m->freeze_base();
  return m;
}

TEST(FrozenWeights, Bfloat16StorageGivesTheRoundedFloat32ModelsLogitsAndGradients) {
  for (const std::string router : {"remix", "softmax", "hydra"}) {
    auto reference = rounded_model(7), stored = rounded_model(7);
    stored->store_frozen_matrices_as(torch::kBFloat16);
    // Only the query and down projections adapted: the others and the head go through the plain frozen path.
    auto options = MixtureOptions().targets({Projection::Q, Projection::Down}).router_name(router).num_experts(4);
    torch::manual_seed(3);
    auto ma = adapter::attach_mixture(reference, options, test::router_source(router));
    torch::manual_seed(3);
    auto mb = adapter::attach_mixture(stored, options, test::router_source(router));
    torch::manual_seed(4);
    test::randomize_adapters(ma);
    torch::manual_seed(4);
    test::randomize_adapters(mb);

    auto tokens = torch::randint(0, 200, {2, 9}, torch::kLong);
    RoutingContext ctx;
    auto la = reference->forward(tokens, ctx), lb = stored->forward(tokens, ctx);
    ASSERT_EQ(lb.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(la.equal(lb)) << router << ": max difference " << (la - lb).abs().max().item<double>();
    la.square().mean().backward();
    lb.square().mean().backward();
    auto pa = reference->named_parameters(), pb = stored->named_parameters();
    int trained = 0;
    for (const auto& item : pa) {
      if (!item.value().requires_grad()) continue;
      const auto &ga = item.value().grad(), &gb = pb[item.key()].grad();
      ASSERT_EQ(ga.defined(), gb.defined()) << router << " " << item.key();
      if (!ga.defined()) continue;  // ReMix's router learns through log Q only, not through this loss
      ++trained;
      EXPECT_TRUE(ga.equal(gb)) << router << ": gradient of " << item.key();
    }
    EXPECT_GT(trained, 0);
  }
}

TEST(FrozenWeights, MatricesTakeHalfTheMemoryAndTheRestStaysFloat32) {
  auto m = rounded_model(1);
  auto bytes = [&] {
    std::int64_t b = 0;
    for (const auto& p : m->base_parameters()) b += p.numel() * static_cast<std::int64_t>(p.element_size());
    return b;
  };
  const auto before = bytes();
  m->store_frozen_matrices_as(torch::kBFloat16);
  for (const auto& item : m->named_parameters())
    EXPECT_EQ(item.value().scalar_type(), item.value().dim() == 2 ? torch::kBFloat16 : torch::kFloat32) << item.key();
  EXPECT_LT(bytes(), before * 51 / 100);
}

TEST(FrozenWeights, TheLowPrecisionProductIsTheBfloat16ProductInFloat32) {
  torch::manual_seed(2);
  auto W = torch::randn({24, 40}).to(torch::kBFloat16);
  auto x = torch::randn({5, 40}, torch::requires_grad());
  auto low = frozen_linear(x, W, torch::Tensor(), FrozenProduct::LowPrecision);
  ASSERT_EQ(low.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(low.equal(torch::matmul(x.detach().to(torch::kBFloat16), W.t()).to(torch::kFloat32)));
  auto upcast = frozen_linear(x, W, torch::Tensor(), FrozenProduct::Upcast);
  EXPECT_TRUE(upcast.equal(frozen_linear(x, W, torch::Tensor())));  // on the CPU, by device means upcast
  const double scale = upcast.abs().max().item<double>();
  EXPECT_LT((low - upcast).abs().max().item<double>(), 2e-2 * scale);  // bfloat16 keeps 8 significant bits
  EXPECT_FALSE(low.equal(upcast));

  auto g = torch::randn({5, 24});
  auto gx = torch::autograd::grad({low}, {x}, {g})[0];
  EXPECT_TRUE(gx.equal(torch::matmul(g.to(torch::kBFloat16), W).to(torch::kFloat32)));
  EXPECT_TRUE(frozen_matmul(x.detach(), W.t(), FrozenProduct::LowPrecision).equal(low.detach()));
}

}  // namespace
}  // namespace remix::model
