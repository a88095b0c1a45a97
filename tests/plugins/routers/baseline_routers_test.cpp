// The learned-weight baselines beyond the shared contract: softmax's load-balancing loss equals
// coef · n · Σ f_i P_i computed by hand and reaches coef · k when routing is balanced, its jitter acts only in
// training; hydra asks for shared_a experts and per-module routers; lora refuses more than one expert naming
// the key and saying how to set up the rank baselines.
#include <gtest/gtest.h>

#include "support/models.h"

namespace remix {
namespace {

std::shared_ptr<Router> make(const std::string& plugin, const std::map<std::string, ParamValue>& params, std::int64_t n,
                             std::int64_t k, std::int64_t d) {
  auto lib = test::router_plugin(plugin);
  auto c = adapter::MixtureOptions().num_experts(n).top_k(k).r(4).lora_alpha(8).router_context("layers.1.ffn", d);
  return lib->create_router(test::router_params(*lib, params), c);
}

RouteInput train_input(torch::Tensor x, torch::Tensor mask) {
  RouteInput in;
  in.x = std::move(x);
  in.mask = std::move(mask);
  in.prompt_mask = in.mask;
  in.training = true;
  return in;
}

TEST(SoftmaxRouter, AuxLossIsCoefTimesNTimesSumOfLoadTimesMeanProbability) {
  const std::int64_t n = 5, k = 2;
  auto router = make("softmax", {{"router_aux_loss_coef", 0.01}}, n, k, 6);
  auto mask = torch::ones({2, 6}, torch::kBool);
  mask[1].narrow(0, 3, 3).fill_(false);
  auto out = router->route(train_input(torch::randn({2, 6, 6}), mask));
  std::vector<double> f(n, 0), P(n, 0);
  double tokens = 0;
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 6; ++t) {
      if (!mask[b][t].item<bool>()) continue;
      tokens += 1;
      for (int j = 0; j < k; ++j) f[out.experts[b][t][j].item<std::int64_t>()] += 1;
      for (int i = 0; i < n; ++i) P[i] += out.probs[b][t][i].item<double>();
    }
  double expected = 0;
  for (int i = 0; i < n; ++i) expected += (f[i] / tokens) * (P[i] / tokens);
  EXPECT_NEAR(out.aux_loss.item<double>(), 0.01 * n * expected, 1e-7);
}

TEST(SoftmaxRouter, BalancedRoutingReachesTheMinimumCoefTimesK) {
  auto router = make("softmax", {{"router_aux_loss_coef", 0.1}}, 2, 1, 2);
  {
    torch::NoGradGuard no_grad;
    router->named_parameters()["weight"].copy_(torch::eye(2));
  }
  // Half the tokens prefer expert 0 exactly as strongly as the other half prefer expert 1.
  auto x = torch::tensor({3.0f, -3.0f, -3.0f, 3.0f}).view({1, 2, 2});
  auto out = router->route(train_input(x, torch::ones({1, 2}, torch::kBool)));
  EXPECT_NEAR(out.aux_loss.item<double>(), 0.1 * 1, 1e-7);
}

TEST(SoftmaxRouter, JitterActsOnlyInTraining) {
  auto router = make("softmax", {{"jitter_noise", 0.5}}, 8, 2, 16);
  auto x = torch::randn({2, 9, 16});
  auto in = train_input(x, torch::ones({2, 9}, torch::kBool));
  torch::manual_seed(1);
  auto a = router->route(in);
  torch::manual_seed(2);
  auto b = router->route(in);
  EXPECT_FALSE(torch::allclose(a.probs, b.probs));
  in.training = false;
  torch::manual_seed(1);
  a = router->route(in);
  torch::manual_seed(2);
  b = router->route(in);
  EXPECT_TRUE(torch::equal(a.probs, b.probs));
}

// With the host's noise keys a row's jitter depends on its key alone, so a trial's softmax routing is the same on 1 or
// N data-parallel ranks (it came from torch's generator, different on each rank).
TEST(SoftmaxRouter, KeyedJitterFollowsTheRowsKeyNotItsBatch) {
  auto router = make("softmax", {{"jitter_noise", 0.5}}, 8, 2, 16);
  auto x = torch::randn({2, 9, 16});
  auto in = train_input(x, torch::ones({2, 9}, torch::kBool));
  in.noise_keys = torch::tensor({11, 12}, torch::kLong);
  auto both = router->route(in);
  auto alone = router->route([&] {
    auto one = train_input(x.narrow(0, 1, 1), torch::ones({1, 9}, torch::kBool));
    one.noise_keys = torch::tensor({12}, torch::kLong);
    return one;
  }());
  EXPECT_TRUE(torch::allclose(both.probs[1], alone.probs[0]));
  in.noise_keys = torch::tensor({11, 13}, torch::kLong);
  auto other_key = router->route(in);
  EXPECT_TRUE(torch::allclose(both.probs[0], other_key.probs[0]));
  EXPECT_FALSE(torch::allclose(both.probs[1], other_key.probs[1]));
}

TEST(HydraRouter, NeedsSharedAExpertsAndOneRouterPerModule) {
  const auto traits = test::router_plugin("hydra")->router_traits();  // from the descriptor: no router built
  EXPECT_EQ(traits.required_layout(), ExpertLayout::SharedA);
  EXPECT_EQ(traits.required_scope(), RouterScope::Module);
  EXPECT_FALSE(traits.policy_gradient);
  auto router = make("hydra", {}, 4, 2, 8);
  // Kaiming-uniform init (a = sqrt(5)): within +-1/sqrt(D).
  auto w = router->named_parameters()["weight"];
  EXPECT_LE(w.abs().max().item<double>(), 1.0 / std::sqrt(8.0));
  EXPECT_GT(w.abs().max().item<double>(), 0.5 / std::sqrt(8.0));
}

TEST(LoraRouter, RefusesMoreThanOneExpertNamingTheKey) {
  EXPECT_EQ(test::router_plugin("lora")->router_traits().max_experts, 1);  // the host refuses from the descriptor
  try {  // and a host that builds it directly meets the constructor's check
    make("lora", {}, 8, 2, 8);
    FAIL() << "accepted 8 experts";
  } catch (const PluginError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("router plugin 'lora'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("adapter.num_experts: the lora router is a single LoRA and needs adapter.num_experts=1 and "
                       "adapter.top_k=1, got adapter.num_experts=8 and adapter.top_k=2"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("set adapter.r to k*r"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace remix
