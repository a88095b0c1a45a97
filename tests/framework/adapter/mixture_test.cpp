// A Mixture-of-LoRAs attached to a small transformer with the real router plugins: a fresh adapter leaves the
// logits unchanged and the frozen base gets no gradient; sites sit where the scope says; contradicting or bad
// adapter settings name their config key; the trace sums log Q and aux losses over sites; sequence-granularity
// routing never looks at answer tokens; generation with a mixture equals recomputation; router failures are
// reported with the plugin's name.
#include <gtest/gtest.h>

#include "adapter/diagnostics.h"
#include "adapter/mixture_of_loras.h"
#include "adapter/routing_trace.h"
#include "model/generation.h"
#include "remix/errors.h"
#include "support/models.h"
#include "support/test_env.h"

namespace remix::adapter {
namespace {

using model::Projection;
using test::router_source;
using test::tiny_model;

const std::vector<Projection> kAll(model::kAllProjections.begin(), model::kAllProjections.end());

MixtureOptions options_for(const std::string& router) {
  auto o = MixtureOptions().targets(kAll).router_name(router).r(4).lora_alpha(8);
  if (router == "lora") o.num_experts(1).top_k(1);
  if (router == "hydra") o.num_experts(4);
  return o;
}

TEST(MixtureOfLoras, FreshAdapterLeavesLogitsUnchangedAndBaseGetsNoGradient) {
  for (const std::string router : {"remix", "softmax", "hydra", "lora"}) {
    auto model = tiny_model(1);
    auto tokens = torch::randint(0, 256, {3, 12});
    auto before = model->forward(tokens);
    auto mixture = attach_mixture(model, options_for(router), router_source(router));
    model::RoutingContext ctx;
    ctx.training = true;
    auto logits = model->forward(tokens, ctx);
    EXPECT_TRUE(torch::equal(logits, before)) << router;
    torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), tokens.reshape({-1})).backward();
    for (const auto& p : model->base_parameters()) {
      EXPECT_FALSE(p.requires_grad()) << router;
      EXPECT_FALSE(p.grad().defined()) << router;
    }
    double b_grad = 0;
    for (const auto& m : mixture.modules) b_grad += m->bank->B.grad().abs().sum().item<double>();
    EXPECT_GT(b_grad, 0) << router << ": the adapters must be trainable from the first step";
  }
}

std::vector<std::string> site_names(const AttachedMixture& m) {
  std::vector<std::string> names;
  for (const auto& s : m.sites) names.push_back(s->context().site);
  return names;
}

TEST(MixtureOfLoras, SitesSitWhereTheScopeSays) {
  auto model = tiny_model(1);
  auto block = attach_mixture(model, options_for("softmax").targets({Projection::Q, Projection::Up, Projection::Down}),
                              router_source("softmax"));
  EXPECT_EQ(site_names(block),
            (std::vector<std::string>{"layers.0.attn", "layers.0.ffn", "layers.1.attn", "layers.1.ffn"}));
  EXPECT_EQ(block.modules.size(), 6u);
  EXPECT_EQ(*block.options.scope(), RouterScope::Block);

  auto model2 = tiny_model(1);
  auto module =
      attach_mixture(model2, options_for("hydra").targets({Projection::O, Projection::Down}), router_source("hydra"));
  EXPECT_EQ(site_names(module),
            (std::vector<std::string>{"layers.0.o", "layers.0.down", "layers.1.o", "layers.1.down"}));
  EXPECT_EQ(module.sites[1]->context().input_dim, 48);         // down reads the FFN hidden state
  EXPECT_EQ(*module.options.layout(), ExpertLayout::SharedA);  // auto took what hydra needs
  EXPECT_EQ(module.modules[0]->bank->A.size(0), 4);            // one shared A of rank r
}

TEST(MixtureOfLoras, ParameterGroupsAreDisjointAndCoverEverythingTrainable) {
  auto model = tiny_model(1);
  const auto base = model->parameters().size();
  auto mixture = attach_mixture(model, options_for("remix"), router_source("remix"));
  auto adapters = mixture.adapter_parameters();
  auto routers = mixture.router_parameters();
  EXPECT_EQ(adapters.size(), 2u * 7 * 2);  // A and B of 7 projections in 2 layers
  EXPECT_EQ(routers.size(), 4u);           // one P per site: attention and FFN of 2 layers
  EXPECT_EQ(model->parameters().size(), base + adapters.size() + routers.size());
  std::size_t trainable = 0;
  for (const auto& p : model->parameters()) trainable += p.requires_grad() ? 1 : 0;
  EXPECT_EQ(trainable, adapters.size() + routers.size());
  EXPECT_TRUE(mixture.needs_policy_gradient);
  auto other = tiny_model(1);
  EXPECT_FALSE(attach_mixture(other, options_for("softmax"), router_source("softmax")).needs_policy_gradient);
}

TEST(MixtureOfLoras, BadSettingsNameTheirKey) {
  auto model = tiny_model(1);
  auto attach = [&](MixtureOptions o, const std::string& router) {
    return test::error_message<UserError>([&] { attach_mixture(model, o, router_source(router)); });
  };
  EXPECT_NE(attach(options_for("softmax").top_k(9), "softmax")
                .find("adapter.top_k: must be between 1 and adapter.num_experts=8, got 9"),
            std::string::npos);
  EXPECT_NE(attach(options_for("softmax").r(0), "softmax").find("adapter.r: the LoRA rank must be at least 1, got 0"),
            std::string::npos);
  EXPECT_NE(test::error_message<UserError>([] {
              parse_target_modules({"gate", "mlp"});
            }).find("adapter.target_modules: unknown module 'mlp'"),
            std::string::npos);
  EXPECT_NE(attach(options_for("hydra").scope(RouterScope::Block), "hydra")
                .find("adapter.router_scope: is block, but router plugin 'hydra' needs module"),
            std::string::npos);
  EXPECT_NE(attach(options_for("hydra").layout(ExpertLayout::Independent), "hydra")
                .find("adapter.layout: is independent, but router plugin 'hydra' needs shared_a"),
            std::string::npos);
  // The lora router's traits say it routes one expert: refused from the descriptor, before any router is built.
  auto lora = attach(options_for("softmax").router_name("lora"), "lora");
  EXPECT_NE(lora.find("adapter.num_experts: router plugin 'lora' routes at most 1 expert per site, got 8"),
            std::string::npos)
      << lora;
  EXPECT_NE(lora.find("set adapter.num_experts and adapter.top_k to 1"), std::string::npos) << lora;
  for (const auto& p : model->base_parameters()) EXPECT_TRUE(p.requires_grad());  // a refused attach changes nothing
}

TEST(MixtureOfLoras, TraceSumsLogQAndAuxLossOverSites) {
  auto model = tiny_model(1);
  attach_mixture(model, options_for("remix").targets({Projection::Gate, Projection::Q}), router_source("remix"));
  auto tokens = torch::randint(0, 256, {3, 10});
  auto valid = torch::ones({3, 10}, torch::kBool);
  valid[2].narrow(0, 6, 4).fill_(false);
  RoutingTrace trace;
  model::RoutingContext ctx{valid, {}, /*training=*/true, &trace};
  model->forward(tokens, ctx);
  ASSERT_EQ(trace.decisions().size(), 4u);
  auto sum = torch::zeros({3});
  for (const auto& d : trace.decisions()) sum += d.log_prob;
  EXPECT_TRUE(torch::allclose(trace.log_prob(), sum));
  EXPECT_TRUE(torch::equal(trace.num_decisions(), torch::tensor({40.0f, 40.0f, 24.0f})));  // valid tokens x 4 sites
  EXPECT_EQ(trace.aux_loss().item<double>(), 0.0);
  auto metrics = routing_diagnostics(trace);
  auto value = [&](const std::string& key) {
    for (const auto& [k, v] : metrics)
      if (k == key) return v;
    ADD_FAILURE() << "no metric " << key;
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(value("routing/ess_worst"), 2.0);
  EXPECT_DOUBLE_EQ(value("routing/layers.1.ffn/ess_mean"), 2.0);
  EXPECT_DOUBLE_EQ(value("routing/decisions_per_sequence"), 104.0 / 3.0);

  auto softmax_model = tiny_model(1);
  attach_mixture(softmax_model, options_for("softmax"), router_source("softmax"));
  RoutingTrace softmax_trace;
  model::RoutingContext softmax_ctx{valid, {}, true, &softmax_trace};
  softmax_model->forward(tokens, softmax_ctx);
  auto aux_sum = torch::zeros({});
  for (const auto& d : softmax_trace.decisions()) aux_sum += d.aux_loss;
  EXPECT_FALSE(softmax_trace.log_prob().defined());
  EXPECT_NEAR(softmax_trace.aux_loss().item<double>(), aux_sum.item<double>() / 4.0, 1e-7);
}

// train.credit: to-go needs to know which decisions can change later positions: in the last block only the
// attention's keys and values (and a block-scope attention router, which routes them) reach past their position.
TEST(MixtureOfLoras, TheTraceSplitsPerTokenLogQByWhatEachSiteCanReach) {
  for (auto scope : {RouterScope::Block, RouterScope::Module}) {
    auto model = tiny_model(1);
    attach_mixture(model, options_for("remix").targets({Projection::Q, Projection::K, Projection::Up}).scope(scope),
                   router_source("remix"));
    auto valid = torch::ones({2, 6}, torch::kBool);
    valid[1].narrow(0, 4, 2).fill_(false);
    RoutingTrace trace;
    model->forward(torch::randint(0, 256, {2, 6}), model::RoutingContext{valid, {}, /*training=*/true, &trace});
    std::map<std::string, bool> reaches;
    for (const auto& d : trace.decisions()) reaches[d.site] = d.reaches_later_positions;
    if (scope == RouterScope::Block) {
      EXPECT_EQ(
          reaches,
          (std::map<std::string, bool>{
              {"layers.0.attn", true}, {"layers.0.ffn", true}, {"layers.1.attn", true}, {"layers.1.ffn", false}}));
    } else {
      EXPECT_EQ(reaches, (std::map<std::string, bool>{{"layers.0.q", true},
                                                      {"layers.0.k", true},
                                                      {"layers.0.up", true},
                                                      {"layers.1.q", false},
                                                      {"layers.1.k", true},
                                                      {"layers.1.up", false}}));
    }
    auto split = trace.token_log_prob();
    ASSERT_TRUE(split.has_value());
    EXPECT_TRUE(torch::allclose(split->reaching.sum(1) + split->own.sum(1), trace.log_prob()));
    EXPECT_FALSE(torch::equal(split->own, torch::zeros_like(split->own)));
  }
  // A router that samples without per-token log Q (one decision per sequence) cannot be credited by position.
  auto model = tiny_model(1);
  attach_mixture(model, options_for("remix"), router_source("remix", {{"granularity", std::string("sequence")}}));
  RoutingTrace trace;
  model->forward(torch::randint(0, 256, {2, 6}), model::RoutingContext{{}, {}, true, &trace});
  EXPECT_TRUE(trace.log_prob().defined());
  EXPECT_FALSE(trace.token_log_prob().has_value());
}

TEST(MixtureOfLoras, SequenceGranularityNeverLooksAtAnswerTokens) {
  auto model = tiny_model(2);
  attach_mixture(model, options_for("remix").targets({Projection::V, Projection::Up}),
                 router_source("remix", {{"granularity", std::string("sequence")}}));
  auto prompt_mask = torch::zeros({2, 14}, torch::kBool);
  prompt_mask.narrow(1, 0, 8).fill_(true);
  auto tokens = torch::randint(0, 256, {2, 14});
  auto other_answer = tokens.clone();
  other_answer.narrow(1, 8, 6).random_(0, 256);
  for (bool training : {true, false}) {
    RoutingTrace a, b;
    torch::manual_seed(5);
    model->forward(tokens, model::RoutingContext{{}, prompt_mask, training, &a});
    torch::manual_seed(5);
    model->forward(other_answer, model::RoutingContext{{}, prompt_mask, training, &b});
    ASSERT_EQ(a.decisions().size(), 4u);
    for (std::size_t i = 0; i < a.decisions().size(); ++i) {
      EXPECT_TRUE(torch::equal(a.decisions()[i].experts, b.decisions()[i].experts)) << a.decisions()[i].site;
      // One selection per sequence: every token of a row carries the row's choice.
      const auto& e = a.decisions()[i].experts;
      EXPECT_TRUE(torch::equal(e, e.narrow(1, 0, 1).expand_as(e)));
    }
    if (training) EXPECT_TRUE(torch::equal(a.log_prob(), b.log_prob()));
  }
  // The prompt does decide: another prompt changes some selection.
  RoutingTrace c, d;
  model->forward(tokens, model::RoutingContext{{}, prompt_mask, false, &c});
  model->forward(torch::randint(0, 256, {2, 14}), model::RoutingContext{{}, prompt_mask, false, &d});
  bool any_changed = false;
  for (std::size_t i = 0; i < c.decisions().size(); ++i)
    any_changed |= !torch::equal(c.decisions()[i].experts, d.decisions()[i].experts);
  EXPECT_TRUE(any_changed);
}

TEST(MixtureOfLoras, GenerationWithAMixtureEqualsRecomputation) {
  for (const std::string granularity : {"token", "sequence"}) {
    auto model = tiny_model(3);
    auto mixture = attach_mixture(model, options_for("remix"),
                                  router_source("remix", {{"granularity", granularity}, {"router_init_range", 1.0}}));
    test::randomize_adapters(mixture);
    model->eval();
    std::vector<std::int64_t> ids{12, 240, 7, 7, 91};
    const auto prompt_len = static_cast<std::int64_t>(ids.size());
    auto g = model::generate(model, torch::tensor(ids).unsqueeze(0), {}, model::GenerationOptions().max_new_tokens(10));
    torch::NoGradGuard no_grad;
    for (int step = 0; step < 10; ++step) {
      auto tokens = torch::tensor(ids).unsqueeze(0);
      auto prompt = torch::zeros_like(tokens, torch::kBool);
      prompt.narrow(1, 0, prompt_len).fill_(true);
      auto logits = model->forward(tokens, model::RoutingContext{{}, prompt, false, nullptr});
      ids.push_back(logits[0][-1].argmax().item<std::int64_t>());
      EXPECT_TRUE(torch::allclose(logits[0][-1], g.logits[0][step], 1e-4, 1e-4)) << granularity << " step " << step;
    }
    EXPECT_TRUE(
        torch::equal(g.tokens[0], torch::tensor(std::vector<std::int64_t>(ids.begin() + prompt_len, ids.end()))))
        << granularity;
  }
}

// Routers made in the test, to check how the host reports a misbehaving plugin.
class ThrowingRouter : public Router {
 public:
  RouteOutput route(const RouteInput&) override { throw std::runtime_error("boom"); }
};
class MisshapenRouter : public Router {
 public:
  RouteOutput route(const RouteInput& in) override {
    RouteOutput out;
    out.experts = torch::zeros({in.x.size(0), 2}, torch::kLong);
    return out;
  }
};

TEST(MixtureOfLoras, RouterFailuresNameThePluginAndSite) {
  auto run = [](RouterFactory factory) {
    return test::error_message<UserError>([&] {
      auto model = tiny_model(1);
      attach_mixture(model, options_for("x"), {"my_router", RouterTraits(), factory});
      model->forward(torch::zeros({1, 3}, torch::kLong));
    });
  };
  auto thrown = run([](const RouterContext&) { return std::make_shared<ThrowingRouter>(); });
  EXPECT_NE(thrown.find("router plugin 'my_router' at site layers.0.attn: route() failed: boom"), std::string::npos)
      << thrown;
  auto misshapen = run([](const RouterContext&) { return std::make_shared<MisshapenRouter>(); });
  EXPECT_NE(
      misshapen.find("router plugin 'my_router' at site layers.0.attn: route() returned experts [1, 2] of type Long, "
                     "expected int64 [1, 3, k]"),
      std::string::npos)
      << misshapen;
  auto none = run([](const RouterContext&) { return std::shared_ptr<Router>(); });
  EXPECT_NE(none.find("made no router"), std::string::npos) << none;
}

}  // namespace
}  // namespace remix::adapter
