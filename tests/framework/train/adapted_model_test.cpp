// Active LoRA parameters per token against a hand count for every router, on a small transformer (dim 32, FFN 48,
// 2 layers; FFN gate, up and down adapted; n = 4 experts of rank 2, k = 2): sparse routers apply k experts, each
// its own A and B; the single LoRA its one rank-4 pair; hydra's dense softmax applies its shared A and all n
// B heads (not k: the under-count this test was written for). A forward confirms the routed width.
#include <gtest/gtest.h>

#include "adapter/mixture_of_loras.h"
#include "adapter/routing_trace.h"
#include "support/models.h"
#include "train/adapted_model.h"

namespace remix::train {
namespace {

constexpr std::int64_t kDim = 32, kFfn = 48, kLayers = 2, kN = 4, kK = 2, kR = 2;

adapter::MixtureOptions options_for(const std::string& router) {
  auto o = adapter::MixtureOptions().router_name(router).num_experts(kN).top_k(kK).r(kR).lora_alpha(4);
  if (router == "lora") o.num_experts(1).top_k(1).r(4);
  return o;
}

// Σ over the adapted projections (gate, up: 32 -> 48; down: 48 -> 32) and layers.
std::int64_t hand_count(const std::string& router) {
  auto per_projection = [&](std::int64_t in, std::int64_t out) -> std::int64_t {
    if (router == "lora") return 4 * (in + out);             // one pair of rank 4
    if (router == "hydra") return kR * in + kN * kR * out;   // shared A, every one of the n B heads
    return kK * kR * (in + out);                              // k experts, each its A and B
  };
  return kLayers * (2 * per_projection(kDim, kFfn) + per_projection(kFfn, kDim));
}

TEST(ActiveParameters, EqualAHandCountForEveryRouter) {
  for (const std::string router : {"remix", "softmax", "hydra", "lora"}) {
    AdaptedModel m;
    m.model = test::tiny_model(1);
    auto o = options_for(router);
    m.mixture = adapter::attach_mixture(m.model, o, test::router_source(router));
    EXPECT_EQ(m.active_lora_parameters(o.top_k()), hand_count(router)) << router;

    // What the routers really apply: the width of their selections in a forward.
    adapter::RoutingTrace trace;
    model::RoutingContext routing;
    routing.trace = &trace;
    m.model->forward(torch::randint(0, 256, {2, 6}), routing);
    ASSERT_FALSE(trace.decisions().empty()) << router;
    auto width = trace.decisions().front().experts.size(-1);
    EXPECT_EQ(width, router == "hydra" ? kN : o.top_k()) << router;
  }
  EXPECT_EQ(hand_count("hydra"), 2496);  // before the fix: 736, counting k of its n heads
}

}  // namespace
}  // namespace remix::train
