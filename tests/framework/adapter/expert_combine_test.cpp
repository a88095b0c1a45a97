// MixLoRA's choices as options of the mixture (MixLoRA's code itself is compared in
// tests/reference/mixlora_reference_test.cpp): whole expert FFNs (adapter.expert_combine: ffn) against a hand-written
// loop over tokens and experts, and equal to the per-projection combine where only one expert acts; the balance loss
// pooled over all sites against its formula, and where it differs from the per-site mean; a router's site_input is
// what the projections compute on (softmax jitter_scope: site) and a malformed one names the plugin; settings that
// cannot mix whole FFNs name adapter.expert_combine.
#include <gtest/gtest.h>

#include "adapter/routing_trace.h"
#include "remix/errors.h"
#include "support/models.h"
#include "support/test_env.h"

namespace remix::adapter {
namespace {

using model::Projection;
using test::router_source;
using test::tiny_model;

MixtureOptions ffn_options(ExpertCombine combine, std::int64_t k = 2) {
  return MixtureOptions()
      .targets({Projection::Gate, Projection::Up, Projection::Down})
      .num_experts(4)
      .top_k(k)
      .r(4)
      .lora_alpha(8)
      .expert_combine(combine);
}

model::RoutingContext training(RoutingTrace* trace = nullptr) {
  model::RoutingContext ctx;
  ctx.training = true;
  ctx.trace = trace;
  return ctx;
}

// Expert e's (A, B) of a projection's independent bank.
torch::Tensor delta(const torch::nn::Module& adapter, const std::string& proj, std::int64_t e, const torch::Tensor& x) {
  auto params = adapter.named_parameters();
  auto A = params[proj + ".bank.A"].narrow(0, e * 4, 4), B = params[proj + ".bank.B"].narrow(1, e * 4, 4);
  return torch::matmul(torch::matmul(x, A.t()), B.t()) * 2.0;  // lora_alpha / r
}

TEST(ExpertCombine, FfnMixesWholeExpertFfnsAsAHandLoopDoes) {
  torch::manual_seed(3);
  auto model = tiny_model(1);
  auto mixture = attach_mixture(model, ffn_options(ExpertCombine::Ffn), router_source("softmax"));
  test::randomize_adapters(mixture);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : mixture.router_parameters()) p.normal_(0, 1.0);
  }
  auto& ffn = model->block(0).ffn;
  auto x = torch::randn({2, 5, 32});
  torch::Tensor got;
  {
    torch::NoGradGuard no_grad;
    got = ffn->forward(x, training());
  }
  auto& adapter = *ffn->named_children()["adapter"];
  auto router_w = adapter.named_parameters()["site.router.weight"];
  auto silu = [](const torch::Tensor& t) { return t * torch::sigmoid(t); };
  torch::NoGradGuard no_grad;
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t t = 0; t < 5; ++t) {
      auto xt = x[b][t];
      auto q = torch::softmax(torch::matmul(router_w, xt), 0);
      auto top = std::get<1>(q.topk(2));
      auto expected = torch::zeros({32});
      const double norm = q[top[0]].item<double>() + q[top[1]].item<double>();
      for (std::int64_t j = 0; j < 2; ++j) {
        const auto e = top[j].item<std::int64_t>();
        auto gate = torch::matmul(ffn->gate->weight, xt) + delta(adapter, "gate", e, xt);
        auto up = torch::matmul(ffn->up->weight, xt) + delta(adapter, "up", e, xt);
        auto h = silu(gate) * up;
        auto y = torch::matmul(ffn->down->weight, h) + delta(adapter, "down", e, h);
        expected += q[e].item<double>() / norm * y;
      }
      EXPECT_TRUE(torch::allclose(got[b][t], expected, 1e-4, 1e-5)) << "token " << b << "," << t;
    }
}

TEST(ExpertCombine, OneActiveExpertGivesTheSameOutputEitherWay) {
  auto tokens = torch::randint(0, 256, {2, 9});
  torch::Tensor logits[2];
  for (int ffn = 0; ffn < 2; ++ffn) {
    auto model = tiny_model(1);
    auto mixture = attach_mixture(model, ffn_options(ffn ? ExpertCombine::Ffn : ExpertCombine::Projection, 1),
                                  router_source("softmax"));
    torch::manual_seed(5);
    test::randomize_adapters(mixture);
    torch::NoGradGuard no_grad;
    for (auto& p : mixture.router_parameters()) p.normal_(0, 1.0);
    logits[ffn] = model->forward(tokens, training());
  }
  EXPECT_TRUE(torch::allclose(logits[0], logits[1], 1e-4, 1e-5));
}

TEST(ExpertCombine, TwoActiveExpertsDifferThroughTheSwiGlu) {
  auto tokens = torch::randint(0, 256, {2, 9});
  torch::Tensor logits[2];
  for (int ffn = 0; ffn < 2; ++ffn) {
    auto model = tiny_model(1);
    auto mixture = attach_mixture(model, ffn_options(ffn ? ExpertCombine::Ffn : ExpertCombine::Projection),
                                  router_source("softmax"));
    torch::manual_seed(5);
    test::randomize_adapters(mixture);
    torch::NoGradGuard no_grad;
    logits[ffn] = model->forward(tokens, training());
  }
  EXPECT_GT((logits[0] - logits[1]).abs().max().item<double>(), 1e-3);
}

SiteDecision decision(const std::vector<std::vector<std::int64_t>>& experts, double coef) {
  SiteDecision d;
  d.num_experts = 4;
  d.experts = torch::tensor(experts[0]).view({1, 1, -1});
  for (std::size_t t = 1; t < experts.size(); ++t)
    d.experts = torch::cat({d.experts, torch::tensor(experts[t]).view({1, 1, -1})}, 1);
  const auto T = d.experts.size(1);
  d.probs = torch::zeros({1, T, 4}).scatter(-1, d.experts, 0.5);
  d.weights = torch::full({1, T, 2}, 0.5);
  d.valid = torch::ones({1, T}, torch::kBool);
  d.pooled_balance_coef = coef;
  return d;
}

TEST(PooledBalanceLoss, PoolsTokensOverSitesBeforeTheProduct) {
  // Site 1 sends every token to experts {0, 1}, site 2 to {2, 3}: each site alone is as unbalanced as can be
  // (n · Σ f P = 4 · (1 · 0.5 + 1 · 0.5) = 4), pooled they are balanced (4 · 4 · (0.5 · 0.25) = 2).
  RoutingTrace trace;
  trace.record(decision({{0, 1}, {0, 1}, {1, 0}}, 0.1));
  trace.record(decision({{2, 3}, {3, 2}, {2, 3}}, 0.1));
  EXPECT_NEAR(trace.pooled_balance_loss().item<double>(), 0.1 * 2.0, 1e-6);
  EXPECT_NEAR(trace.aux_loss().item<double>(), 0.1 * 2.0, 1e-6);
  RoutingTrace none;
  none.record(decision({{0, 1}}, 0.0));
  EXPECT_FALSE(none.pooled_balance_loss().defined());
}

TEST(PooledBalanceLoss, SoftmaxAuxLossScopeModelIsThePooledLossOverAllLayers) {
  auto tokens = torch::randint(0, 256, {3, 10});
  auto valid = torch::ones({3, 10}, torch::kBool);
  valid[2].narrow(0, 6, 4).fill_(false);
  double aux[2];
  for (int pooled = 0; pooled < 2; ++pooled) {
    auto model = tiny_model(1);
    std::map<std::string, ParamValue> params = {{"router_aux_loss_coef", 0.01}};
    if (pooled) params["aux_loss_scope"] = std::string("model");
    auto mixture = attach_mixture(model, ffn_options(ExpertCombine::Projection), router_source("softmax", params));
    torch::manual_seed(2);
    torch::NoGradGuard no_grad;
    for (auto& p : mixture.router_parameters()) p.normal_(0, 1.0);
    RoutingTrace trace;
    auto ctx = training(&trace);
    ctx.valid_mask = valid;
    model->forward(tokens, ctx);
    ASSERT_EQ(trace.decisions().size(), 2u);
    for (const auto& d : trace.decisions()) EXPECT_EQ(d.aux_loss.defined(), !pooled);
    aux[pooled] = trace.aux_loss().item<double>();
    if (pooled) EXPECT_DOUBLE_EQ(aux[1], trace.pooled_balance_loss().item<double>());
  }
  EXPECT_GT(aux[1], 0);
  EXPECT_GT(std::abs(aux[0] - aux[1]), 1e-6);  // two layers routing differently: not the same loss
}

TEST(SiteInput, SoftmaxJitterReachesTheFrozenFfnOnlyWithSiteScope) {
  auto x = torch::randn({2, 6, 32});
  for (const std::string scope : {"site", "router"}) {
    auto model = tiny_model(1);
    attach_mixture(model, ffn_options(ExpertCombine::Projection),
                   router_source("softmax", {{"jitter_noise", 0.5}, {"jitter_scope", scope}}));
    auto& ffn = model->block(0).ffn;
    torch::NoGradGuard no_grad;
    auto base = ffn->down(torch::silu(ffn->gate(x)) * ffn->up(x));  // a fresh adapter: experts add nothing
    auto trained = ffn->forward(x, training());
    EXPECT_EQ(torch::allclose(trained, base, 1e-5, 1e-6), scope == "router") << scope;
    auto eval = ffn->forward(x, model::RoutingContext{});
    EXPECT_TRUE(torch::allclose(eval, base, 1e-5, 1e-6)) << scope << ": no jitter outside training";
  }
}

struct WrongSiteInputRouter : Router {
  RouteOutput route(const RouteInput& in) override {
    RouteOutput out;
    const auto B = in.x.size(0), T = in.x.size(1);
    out.experts = torch::zeros({B, T, 1}, torch::kLong);
    out.weights = torch::ones({B, T, 1});
    out.probs = torch::full({B, T, 8}, 1.0 / 8);
    out.site_input = in.x.narrow(2, 0, 3);
    return out;
  }
};

TEST(SiteInput, AMisshapenSiteInputNamesThePluginAndSite) {
  auto thrown = test::error_message<UserError>([&] {
    auto model = tiny_model(1);
    attach_mixture(model, ffn_options(ExpertCombine::Projection).num_experts(8).top_k(1),
                   {"my_router", RouterTraits(), [](const RouterContext&) {
                      return std::make_shared<WrongSiteInputRouter>();
                    }});
    model->forward(torch::zeros({1, 3}, torch::kLong));
  });
  EXPECT_NE(thrown.find("router plugin 'my_router' at site layers.0.ffn: route() returned site_input [1, 3, 3], "
                        "expected the site input's shape [1, 3, 32]"),
            std::string::npos)
      << thrown;
}

TEST(ExpertCombine, SettingsThatCannotMixWholeFfnsNameTheKey) {
  auto model = tiny_model(1);
  auto hydra = test::error_message<UserError>([&] {
    attach_mixture(model, ffn_options(ExpertCombine::Ffn).router_name("hydra"), router_source("hydra"));
  });
  EXPECT_NE(hydra.find("adapter.expert_combine: ffn mixes whole expert FFNs under one router per FFN block"),
            std::string::npos)
      << hydra;
  EXPECT_NE(hydra.find("which router plugin 'hydra' needs"), std::string::npos) << hydra;
  auto attention_only = test::error_message<UserError>([&] {
    attach_mixture(model, ffn_options(ExpertCombine::Ffn).targets(std::vector<Projection>{Projection::Q}),
                   router_source("softmax"));
  });
  EXPECT_NE(attention_only.find("adapter.expert_combine: ffn mixes whole expert FFNs, but adapter.target_modules "
                                "adapts none of gate|up|down"),
            std::string::npos)
      << attention_only;
}

}  // namespace
}  // namespace remix::adapter
