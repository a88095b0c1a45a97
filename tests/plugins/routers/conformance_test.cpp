// The router conformance suite (adapter/router_conformance.h, what `remix conformance` and the SDK's
// remix_add_router_conformance_test run) on every router plugin shipped here, loaded through the real loader,
// in several configurations; adding a router is adding one line to kRouters. On top of the shared contract,
// what each of these routers promises: its weight rule (ReMix: all exactly ω, so ESS exactly k; softmax: top-k
// renormalised to lora_alpha/r; hydra: dense over all n; lora: one expert), its traits, one decision per
// sequence from prompt tokens only for sequence granularity, log_prob at eval only when it samples there, and
// its aux loss reaching every router parameter.
#include <gtest/gtest.h>

#include <cmath>

#include "adapter/diagnostics.h"
#include "adapter/router_conformance.h"
#include "support/models.h"

namespace remix {
namespace {

enum class WeightRule { ConstantOmega, TopKRenormalised, DenseSoftmax, SingleExpert };

struct RouterCase {
  std::string name, plugin;
  std::map<std::string, ParamValue> params;
  std::int64_t n, k;
  WeightRule rule;
  bool policy_gradient = false;  // log_prob in training; the router learns only through it
  bool aux_loss = false;         // an auxiliary loss in training
  bool per_sequence = false;     // one selection per sequence from its prompt tokens
  bool sampled_at_eval = false;  // eval routing samples too (ReMix `inference: sample`)
  double omega = 0;              // ConstantOmega: the expected weight
};

// gtest shows the case's name in test listings instead of the struct's bytes.
void PrintTo(const RouterCase& c, std::ostream* os) { *os << c.name; }

constexpr double kAlpha = 8, kRank = 4;
using P = std::map<std::string, ParamValue>;
const std::string kSequence = "sequence", kRslora = "rslora", kSample = "sample", kZeros = "zeros";
// {name, plugin, parameters, n, k, rule, policy_gradient, aux_loss, per_sequence, sampled_at_eval, omega}
// clang-format off
const RouterCase kRouters[] = {
    {"remix", "remix", {}, 8, 2, WeightRule::ConstantOmega, true, false, false, false, kAlpha / (2 * kRank)},
    {"remix_sequence", "remix", P{{"granularity", kSequence}}, 8, 2, WeightRule::ConstantOmega, true, false, true,
     false, kAlpha / (2 * kRank)},
    {"remix_rslora_sampled", "remix", P{{"omega", kRslora}, {"inference", kSample}}, 6, 3, WeightRule::ConstantOmega,
     true, false, false, true, kAlpha / std::sqrt(3 * kRank)},
    {"remix_fixed_omega", "remix", P{{"omega", 0.75}, {"router_init", kZeros}}, 4, 1, WeightRule::ConstantOmega,
     true, false, false, false, 0.75},
    {"softmax", "softmax", P{{"jitter_noise", 0.05}}, 8, 2, WeightRule::TopKRenormalised, false, true},
    {"hydra", "hydra", {}, 4, 2, WeightRule::DenseSoftmax},
    {"lora", "lora", {}, 1, 1, WeightRule::SingleExpert},
};
// clang-format on

constexpr std::int64_t B = 3, T = 7, D = 16, kPrompt = 4;

class RouterConformance : public ::testing::TestWithParam<RouterCase> {
 protected:
  void SetUp() override { lib_ = test::router_plugin(GetParam().plugin); }

  std::shared_ptr<Router> make(std::uint64_t seed) const {
    torch::manual_seed(seed);
    auto c = adapter::MixtureOptions()
                 .num_experts(GetParam().n)
                 .top_k(GetParam().k)
                 .r(static_cast<std::int64_t>(kRank))
                 .lora_alpha(kAlpha)
                 .router_context("layers.0.ffn", D);
    return lib_->create_router(test::router_params(*lib_, GetParam().params), c);
  }

  // Row 2 ends in three padding tokens; the first kPrompt tokens of each row are prompt.
  static torch::Tensor mask() {
    auto m = torch::ones({B, T}, torch::kBool);
    m[2].narrow(0, 4, 3).fill_(false);
    return m;
  }
  static torch::Tensor prompt_mask() {
    auto p = torch::zeros({B, T}, torch::kBool);
    p.narrow(1, 0, kPrompt).fill_(true);
    return p.logical_and(mask());
  }
  static RouteInput input(torch::Tensor x, bool training, torch::Tensor m = mask(), torch::Tensor p = prompt_mask()) {
    RouteInput in;
    in.x = std::move(x);
    in.mask = std::move(m);
    in.prompt_mask = std::move(p);
    in.training = training;
    return in;
  }
  RouteOutput route(Router& r, const RouteInput& in, std::uint64_t seed = 7) const {
    torch::manual_seed(seed);
    return r.route(in);
  }
  std::int64_t width() const { return GetParam().rule == WeightRule::DenseSoftmax ? GetParam().n : GetParam().k; }
  bool samples(bool training) const { return GetParam().policy_gradient && (training || GetParam().sampled_at_eval); }

  std::shared_ptr<plugin::PluginLibrary> lib_;
};

TEST_P(RouterConformance, PassesTheSharedConformanceSuite) {
  auto c = adapter::MixtureOptions().num_experts(GetParam().n).top_k(GetParam().k).r(static_cast<std::int64_t>(kRank))
               .lora_alpha(kAlpha).router_context("layers.0.ffn", D);
  auto source = adapter::RouterSource{lib_->name(), lib_->router_traits(),
                                      lib_->router_factory(test::router_params(*lib_, GetParam().params))};
  auto checks = adapter::check_router_conformance(source, c);
  ASSERT_EQ(checks.size(), 5u);
  for (const auto& check : checks)
    for (const auto& failure : check.failures) ADD_FAILURE() << check.name << ": " << failure;
}

TEST_P(RouterConformance, TraitsAndOutputsAreWhatTheRouterPromises) {
  EXPECT_EQ(lib_->router_traits().policy_gradient, GetParam().policy_gradient);
  auto router = make(1);
  for (bool training : {true, false}) {
    auto out = route(*router, input(torch::randn({B, T, D}), training));
    EXPECT_EQ(out.experts.size(2), width());
    EXPECT_EQ(out.log_prob.defined(), samples(training)) << (training ? "train" : "eval");
    if (out.log_prob.defined()) {
      auto expected = GetParam().per_sequence ? torch::ones({B}) : mask().sum(1).to(torch::kFloat);
      EXPECT_TRUE(torch::equal(out.num_decisions, expected));
    }
    EXPECT_EQ(out.aux_loss.defined(), GetParam().aux_loss && training);
  }
}

TEST_P(RouterConformance, WeightsFollowTheRoutersRule) {
  auto router = make(2);
  for (bool training : {true, false}) {
    auto out = route(*router, input(torch::randn({B, T, D}), training));
    const double scale = kAlpha / kRank;
    switch (GetParam().rule) {
      case WeightRule::ConstantOmega: {
        EXPECT_TRUE(torch::equal(out.weights, torch::full_like(out.weights, GetParam().omega)));
        // Applied-weight ESS exactly k, at every token, through the diagnostics the trainer logs.
        adapter::RoutingTrace trace;
        trace.record({"s", GetParam().n, true, mask(), out.experts, out.weights, out.probs, {}, {}, {}});
        for (const auto& [key, value] : adapter::routing_diagnostics(trace))
          if (key == "routing/s/ess_min" || key == "routing/s/ess_mean") EXPECT_DOUBLE_EQ(value, GetParam().k) << key;
        break;
      }
      case WeightRule::TopKRenormalised: {
        EXPECT_TRUE(torch::allclose(out.weights.sum(-1), torch::full({B, T}, scale), 1e-5, 1e-6));
        auto chosen = out.probs.gather(-1, out.experts);
        auto others = out.probs.scatter(-1, out.experts, -1.0);
        EXPECT_TRUE(std::get<0>(chosen.min(-1)).ge(std::get<0>(others.max(-1))).all().item<bool>());  // the top k of q
        EXPECT_TRUE(torch::allclose(out.weights, chosen / chosen.sum(-1, true) * scale, 1e-5, 1e-6));
        break;
      }
      case WeightRule::DenseSoftmax:
        EXPECT_TRUE(torch::equal(out.experts, torch::arange(GetParam().n).expand({B, T, GetParam().n})));
        EXPECT_TRUE(torch::allclose(out.weights, out.probs * scale, 1e-6, 1e-7));
        break;
      case WeightRule::SingleExpert:
        EXPECT_TRUE(torch::equal(out.experts, torch::zeros({B, T, 1}, torch::kLong)));
        EXPECT_TRUE(torch::equal(out.weights, torch::full({B, T, 1}, static_cast<float>(scale))));
        break;
    }
  }
}

TEST_P(RouterConformance, ASequenceRouterDecidesFromPromptTokensOnly) {
  if (!GetParam().per_sequence) GTEST_SKIP() << "routes every token";
  auto router = make(3);
  auto x = torch::randn({B, T, D});
  auto garbage = torch::where(prompt_mask().logical_not().unsqueeze(-1), torch::randn({B, T, D}) * 1e4, x);
  for (bool training : {true, false}) {
    auto a = route(*router, input(x, training)), b = route(*router, input(garbage, training));
    // Every token keeps its decision: it is made once per sequence, from the prompt.
    EXPECT_TRUE(torch::equal(a.experts, b.experts));
    EXPECT_TRUE(torch::allclose(a.weights, b.weights));
    EXPECT_TRUE(torch::allclose(a.probs, b.probs));
    if (a.log_prob.defined()) EXPECT_TRUE(torch::allclose(a.log_prob, b.log_prob));
  }
}

// Every router parameter received a non-zero gradient.
void expect_all_reached(Router& r, const std::string& path) {
  for (const auto& p : r.named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key() << " through " << path;
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key() << " through " << path;
  }
}

TEST_P(RouterConformance, AuxLossReachesEveryRouterParameter) {
  if (GetParam().rule == WeightRule::SingleExpert) EXPECT_TRUE(make(4)->parameters().empty());
  if (!GetParam().aux_loss) GTEST_SKIP() << "no aux loss";
  auto router = make(4);
  auto out = route(*router, input(torch::randn({B, T, D}), true));
  out.aux_loss.backward();
  expect_all_reached(*router, "aux_loss");
}

INSTANTIATE_TEST_SUITE_P(Plugins, RouterConformance, ::testing::ValuesIn(kRouters),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace remix
