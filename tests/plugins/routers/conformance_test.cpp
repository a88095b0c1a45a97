// The router conformance suite (DESIGN §3): every router plugin, loaded through the real loader from the
// build's plugin folder, must honour the router contract. Adding a router is adding one line to kRouters.
// Checked: output shapes and ranges; the weight rule the router promises (ReMix: all exactly ω, so ESS exactly
// k; softmax: top-k renormalised to lora_alpha/r; hydra: dense over all n; lora: one expert); padding (and,
// for sequence granularity, non-prompt) tokens never influence anything; gradients reach exactly the intended
// parameters (ReMix's router only through log_prob, never through the weights; the input never through
// log_prob); determinism under a seed; no NaN for ±1e4 inputs and all-masked rows.
#include <gtest/gtest.h>

#include <cmath>

#include "adapter/diagnostics.h"
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

TEST_P(RouterConformance, OutputsHaveTheContractShapes) {
  auto router = make(1);
  for (bool training : {true, false}) {
    auto out = route(*router, input(torch::randn({B, T, D}), training));
    ASSERT_EQ(out.experts.sizes(), (std::vector<std::int64_t>{B, T, width()}));
    EXPECT_EQ(out.experts.scalar_type(), torch::kLong);
    EXPECT_EQ(out.weights.sizes(), out.experts.sizes());
    ASSERT_EQ(out.probs.sizes(), (std::vector<std::int64_t>{B, T, GetParam().n}));
    EXPECT_GE(out.experts.min().item<std::int64_t>(), 0);
    EXPECT_LT(out.experts.max().item<std::int64_t>(), GetParam().n);
    // Chosen experts are distinct within a token.
    auto sorted = std::get<0>(out.experts.sort(-1));
    if (width() > 1) EXPECT_TRUE(sorted.diff(1, -1).gt(0).all().item<bool>());
    EXPECT_TRUE(torch::allclose(out.probs.sum(-1), torch::ones({B, T}), 1e-5, 1e-5));
    EXPECT_GE(out.probs.min().item<double>(), 0.0);
    EXPECT_EQ(out.log_prob.defined(), samples(training)) << (training ? "train" : "eval");
    if (out.log_prob.defined()) {
      EXPECT_EQ(out.log_prob.sizes(), (std::vector<std::int64_t>{B}));
      EXPECT_TRUE(out.log_prob.le(0).all().item<bool>());
      ASSERT_TRUE(out.num_decisions.defined());
      auto expected = GetParam().per_sequence ? torch::ones({B}) : mask().sum(1).to(torch::kFloat);
      EXPECT_TRUE(torch::equal(out.num_decisions, expected));
    }
    EXPECT_EQ(out.aux_loss.defined(), GetParam().aux_loss && training);
    if (out.aux_loss.defined()) EXPECT_EQ(out.aux_loss.numel(), 1);
  }
  EXPECT_EQ(router->needs_policy_gradient(), GetParam().policy_gradient);
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

TEST_P(RouterConformance, PaddingAndForSequenceRoutingNonPromptTokensChangeNothing) {
  auto router = make(3);
  auto x = torch::randn({B, T, D});
  auto ignored = mask().logical_not();
  if (GetParam().per_sequence) ignored = prompt_mask().logical_not();
  auto garbage = torch::where(ignored.unsqueeze(-1), torch::randn({B, T, D}) * 1e4, x);
  for (bool training : {true, false}) {
    auto a = route(*router, input(x, training)), b = route(*router, input(garbage, training));
    // Token routers: valid tokens keep their decision. Sequence routers: every token does.
    auto keep = GetParam().per_sequence ? torch::ones({B, T}, torch::kBool) : mask();
    auto at = [&](const torch::Tensor& t) { return t.index({keep}); };
    EXPECT_TRUE(torch::equal(at(a.experts), at(b.experts)));
    EXPECT_TRUE(torch::allclose(at(a.weights), at(b.weights)));
    EXPECT_TRUE(torch::allclose(at(a.probs), at(b.probs)));
    if (a.log_prob.defined()) EXPECT_TRUE(torch::allclose(a.log_prob, b.log_prob));
    if (a.aux_loss.defined()) EXPECT_TRUE(torch::allclose(a.aux_loss, b.aux_loss));
  }
}

// Every router parameter received a non-zero gradient.
void expect_all_reached(Router& r, const std::string& path) {
  for (const auto& p : r.named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key() << " through " << path;
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key() << " through " << path;
  }
}

bool has_gradient(const torch::Tensor& t) { return t.grad().defined() && t.grad().abs().sum().item<double>() > 0; }

TEST_P(RouterConformance, GradientsReachExactlyTheIntendedParameters) {
  auto router = make(4);
  auto x = torch::randn({B, T, D}).requires_grad_(true);
  auto out = route(*router, input(x, true));
  const bool learned_weights =
      GetParam().rule == WeightRule::TopKRenormalised || GetParam().rule == WeightRule::DenseSoftmax;
  if (learned_weights) {
    (out.weights * torch::randn_like(out.weights)).sum().backward({}, /*retain_graph=*/true);
    expect_all_reached(*router, "weights");
    EXPECT_TRUE(has_gradient(x)) << "the site input learns through the weights";
  } else {
    EXPECT_FALSE(out.weights.requires_grad()) << "constant weights must carry no gradient to anything";
  }
  router->zero_grad();
  x.mutable_grad() = torch::Tensor();
  if (GetParam().policy_gradient) {
    out.log_prob.sum().backward({}, true);
    expect_all_reached(*router, "log_prob");
    EXPECT_FALSE(has_gradient(x)) << "the router input is detached: log Q must not train the model";
  }
  if (GetParam().aux_loss) {
    router->zero_grad();
    out.aux_loss.backward();
    expect_all_reached(*router, "aux_loss");
  }
  if (GetParam().rule == WeightRule::SingleExpert) EXPECT_TRUE(router->parameters().empty());
}

TEST_P(RouterConformance, DeterministicUnderASeed) {
  auto x = torch::randn({B, T, D});
  for (bool training : {true, false}) {
    auto a = route(*make(5), input(x, training), 9), b = route(*make(5), input(x, training), 9);
    EXPECT_TRUE(torch::equal(a.experts, b.experts));
    EXPECT_TRUE(torch::equal(a.weights, b.weights));
    EXPECT_TRUE(torch::equal(a.probs, b.probs));
    if (a.log_prob.defined()) EXPECT_TRUE(torch::equal(a.log_prob, b.log_prob));
    if (a.aux_loss.defined()) EXPECT_TRUE(torch::equal(a.aux_loss, b.aux_loss));
  }
  if (GetParam().policy_gradient) {  // and sampling does use the seed
    auto router = make(5);
    bool differs = false;
    for (std::uint64_t seed = 10; seed < 20 && !differs; ++seed)
      differs = !torch::equal(route(*router, input(x, true), 9).experts, route(*router, input(x, true), seed).experts);
    EXPECT_TRUE(differs);
  }
}

TEST_P(RouterConformance, NoNanOnExtremeInputsOrAllMaskedRows) {
  auto router = make(6);
  auto x = (torch::randint(0, 2, {B, T, D}).to(torch::kFloat) * 2 - 1) * 1e4;
  x.requires_grad_(true);
  auto m = mask();
  m[0].fill_(false);  // a row without a single valid token
  auto p = prompt_mask().logical_and(m);
  for (bool training : {true, false}) {
    auto out = route(*router, input(x, training, m, p));
    EXPECT_TRUE(torch::isfinite(out.weights).all().item<bool>());
    EXPECT_TRUE(torch::isfinite(out.probs).all().item<bool>());
    auto loss = (out.weights * 0.5).sum();
    if (out.log_prob.defined()) {
      EXPECT_TRUE(torch::isfinite(out.log_prob).all().item<bool>());
      EXPECT_EQ(out.log_prob[0].item<double>(), 0.0) << "an all-masked row makes no decision";
      loss = loss + out.log_prob.sum();
    }
    if (out.aux_loss.defined()) {
      EXPECT_TRUE(torch::isfinite(out.aux_loss).all().item<bool>());
      loss = loss + out.aux_loss;
    }
    if (!loss.requires_grad()) continue;
    router->zero_grad();
    loss.backward();
    for (const auto& param : router->parameters())
      if (param.grad().defined()) EXPECT_TRUE(torch::isfinite(param.grad()).all().item<bool>());
    if (x.grad().defined()) EXPECT_TRUE(torch::isfinite(x.grad()).all().item<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(Plugins, RouterConformance, ::testing::ValuesIn(kRouters),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace remix
