// The ReMix router beyond the shared contract: Gumbel-top-k draws ordered selections with exactly the
// probabilities exp(log Q) it reports (chi-square test over many draws, which rejects sampling with
// replacement), log Q equals the closed form q_a · q_b / (1 − q_a), eval picks the top k with ties to the lower
// index, ω follows lora / rslora / a number, and sequence routing keeps the prompt's selection while decoding.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "remix/errors.h"
#include "support/models.h"
#include "support/test_env.h"

namespace remix {
namespace {

constexpr std::int64_t kN = 4, kK = 2;

std::shared_ptr<Router> make_remix(const std::map<std::string, ParamValue>& params, std::int64_t n = kN,
                                   std::int64_t k = kK, std::int64_t rank = 4, double alpha = 8) {
  auto lib = test::router_plugin("remix");
  auto c =
      adapter::MixtureOptions().num_experts(n).top_k(k).r(rank).lora_alpha(alpha).router_context("layers.0.ffn", n);
  return lib->create_router(test::router_params(*lib, params), c);
}

// Sets P to the identity, so the logits z equal the input.
void identity_router(Router& r) {
  torch::NoGradGuard no_grad;
  r.named_parameters()["weight"].copy_(torch::eye(r.named_parameters()["weight"].size(0)));
}

RouteInput tokens_with_logits(const std::vector<float>& z, std::int64_t count, bool training) {
  RouteInput in;
  in.x = torch::tensor(z).view({1, 1, -1}).expand({count, 1, static_cast<std::int64_t>(z.size())}).contiguous();
  in.mask = torch::ones({count, 1}, torch::kBool);
  in.prompt_mask = in.mask;
  in.training = training;
  return in;
}

// With noise keys (the trainer's per-row keys, routing::keyed_uniform) or without (torch's default generator).
void check_ordered_selection_frequencies(bool keyed) {
  auto router = make_remix({});
  identity_router(*router);
  const std::vector<float> z = {1.0f, 0.2f, -0.5f, 0.7f};
  const std::int64_t draws = 40000;
  torch::manual_seed(2024);
  auto in = tokens_with_logits(z, draws, true);
  if (keyed) in.noise_keys = torch::arange(draws, torch::kLong) * 7919 + 1234567;  // nearby keys, as rows get
  auto out = router->route(in);  // one token per row: log_prob is its log Q
  auto experts = out.experts.view({draws, kK});
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> counts;
  std::map<std::pair<std::int64_t, std::int64_t>, double> reported;
  auto e = experts.accessor<std::int64_t, 2>();
  auto lp = out.log_prob.accessor<float, 1>();
  for (std::int64_t i = 0; i < draws; ++i) {
    auto cell = std::make_pair(e[i][0], e[i][1]);
    ++counts[cell];
    reported[cell] = std::exp(static_cast<double>(lp[i]));
  }
  // The closed form of drawing a then b without replacement from q = softmax(z).
  std::vector<double> q(kN);
  double norm = 0;
  for (std::int64_t i = 0; i < kN; ++i) norm += std::exp(static_cast<double>(z[i]));
  for (std::int64_t i = 0; i < kN; ++i) q[i] = std::exp(static_cast<double>(z[i])) / norm;
  double sum_of_squares = 0;
  for (double v : q) sum_of_squares += v * v;
  double chi2 = 0, chi2_with_replacement = 0, total = 0;
  for (std::int64_t a = 0; a < kN; ++a) {
    for (std::int64_t b = 0; b < kN; ++b) {
      if (a == b) continue;
      const double p = q[a] * q[b] / (1 - q[a]);
      total += p;
      const auto cell = std::make_pair(a, b);
      const double observed = static_cast<double>(counts[cell]);
      ASSERT_GT(observed, 0) << a << "," << b;
      EXPECT_NEAR(reported[cell], p, 1e-5) << "log Q of (" << a << ", " << b << ")";
      chi2 += std::pow(observed - draws * p, 2) / (draws * p);
      // The wrong sampler (independent draws, renormalised over distinct pairs) as a power check.
      const double wrong = q[a] * q[b] / (1 - sum_of_squares);
      chi2_with_replacement += std::pow(observed - draws * wrong, 2) / (draws * wrong);
    }
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  // 12 ordered cells: 11 degrees of freedom; the 0.999 quantile of chi-square(11) is 31.26.
  EXPECT_LT(chi2, 31.26) << "empirical frequencies do not follow exp(log Q)";
  EXPECT_GT(chi2_with_replacement, 31.26) << "the test cannot tell a wrong sampler apart";
}

TEST(ReMixRouter, ScoreSetReportsTheUnorderedSetsProbability) {
  auto ordered = make_remix({}), set = make_remix({{"score", std::string("set")}});
  identity_router(*ordered);
  identity_router(*set);
  const std::vector<float> z = {1.0f, 0.2f, -0.5f, 0.7f};
  torch::manual_seed(5);
  auto a = ordered->route(tokens_with_logits(z, 64, true));
  torch::manual_seed(5);
  auto b = set->route(tokens_with_logits(z, 64, true));
  ASSERT_TRUE(torch::equal(a.experts, b.experts));  // the same draws; only what is scored differs
  std::vector<double> q(kN);
  double norm = 0;
  for (float v : z) norm += std::exp(static_cast<double>(v));
  for (std::int64_t i = 0; i < kN; ++i) q[i] = std::exp(static_cast<double>(z[i])) / norm;
  auto e = b.experts.view({64, kK}).contiguous();
  for (std::int64_t row = 0; row < 64; ++row) {
    const auto i = e[row][0].item<std::int64_t>(), j = e[row][1].item<std::int64_t>();
    const double p_set = q[i] * q[j] / (1 - q[i]) + q[j] * q[i] / (1 - q[j]);  // either order
    EXPECT_NEAR(std::exp(b.log_prob[row].item<double>()), p_set, 1e-6) << i << "," << j;
    EXPECT_NEAR(std::exp(a.log_prob[row].item<double>()), q[i] * q[j] / (1 - q[i]), 1e-6) << i << "," << j;
  }
  // k! orders per decision: a top_k past 6 is refused naming both keys.
  auto lib = test::router_plugin("remix");
  auto wide = adapter::MixtureOptions().num_experts(8).top_k(7).r(4).router_context("layers.0.ffn", 8);
  auto message = test::error_message<PluginError>(
      [&] { lib->create_router(test::router_params(*lib, {{"score", std::string("set")}}), wide); });
  EXPECT_NE(message.find("router.score"), std::string::npos) << message;
  EXPECT_NE(message.find("adapter.top_k=7"), std::string::npos) << message;
}

TEST(ReMixRouter, OrderedSelectionsAreDrawnWithProbabilityExpLogQ) { check_ordered_selection_frequencies(false); }
TEST(ReMixRouter, OrderedSelectionsFromKeyedNoiseAreDrawnWithProbabilityExpLogQ) {
  check_ordered_selection_frequencies(true);
}

// A row's keyed noise is a function of its key and position alone: the same in another batch, padded longer, in
// another row; distinct keys give different draws; and the draws are uniform (mean, variance, both halves of the
// 53 bits used).
TEST(ReMixRouter, KeyedNoiseDependsOnTheRowKeyAloneAndIsUniform) {
  auto keys = torch::tensor(std::vector<std::int64_t>{11, -5, std::int64_t{1} << 40});
  auto u = routing::keyed_uniform(keys, {3, 5, 4});
  auto longer = routing::keyed_uniform(torch::tensor(std::vector<std::int64_t>{std::int64_t{1} << 40, 99, 11}), {3, 9, 4});
  EXPECT_TRUE(torch::equal(longer[2].narrow(0, 0, 5), u[0]));  // other row, other batch, padded to 9 positions
  EXPECT_TRUE(torch::equal(longer[0].narrow(0, 0, 5), u[2]));
  EXPECT_FALSE(torch::equal(u[0], u[1]));
  auto many = routing::keyed_uniform(torch::arange(1000, torch::kLong), {1000, 200});
  EXPECT_GE(many.min().item<double>(), 0.0);
  EXPECT_LT(many.max().item<double>(), 1.0);
  EXPECT_NEAR(many.mean().item<double>(), 0.5, 0.002);
  EXPECT_NEAR(many.var().item<double>(), 1.0 / 12, 0.001);
  // The low bits vary too (a sampler of 26 bits would leave u·2^53 a multiple of 2^27).
  auto low = torch::fmod(many * 9007199254740992.0, 134217728.0);
  EXPECT_GT(low.std().item<double>(), 1e6);
  // Neighbouring positions and neighbouring keys are uncorrelated.
  auto a = many.narrow(1, 0, 199).reshape(-1), b = many.narrow(1, 1, 199).reshape(-1);
  EXPECT_LT(std::abs(torch::corrcoef(torch::stack({a, b}))[0][1].item<double>()), 0.01);
  auto c = many.narrow(0, 0, 999).reshape(-1), d = many.narrow(0, 1, 999).reshape(-1);
  EXPECT_LT(std::abs(torch::corrcoef(torch::stack({c, d}))[0][1].item<double>()), 0.01);
}

TEST(ReMixRouter, EvalTakesTheTopKWithTiesToTheLowerIndex) {
  auto router = make_remix({{"router_init", std::string("zeros")}});  // all logits equal
  auto out = router->route(tokens_with_logits({0.3f, -1.0f, 2.0f, 0.5f}, 2, false));
  EXPECT_TRUE(torch::equal(out.experts[0][0], torch::tensor({0, 1}, torch::kLong)));
  identity_router(*router);
  out = router->route(tokens_with_logits({0.5f, -1.0f, 2.0f, 0.5f}, 1, false));
  EXPECT_TRUE(torch::equal(out.experts[0][0], torch::tensor({2, 0}, torch::kLong)));  // 0.5 tie: index 0 before 3
  EXPECT_FALSE(out.log_prob.defined());
}

TEST(ReMixRouter, OmegaIsLoraRsloraOrANumber) {
  auto weight_of = [](const std::map<std::string, ParamValue>& p, std::int64_t k, std::int64_t r, double alpha) {
    auto router = make_remix(p, 8, k, r, alpha);
    RouteInput in;
    in.x = torch::randn({1, 2, 8});
    in.mask = torch::ones({1, 2}, torch::kBool);
    in.prompt_mask = in.mask;
    return router->route(in).weights[0][0][0].item<double>();
  };
  EXPECT_DOUBLE_EQ(weight_of({}, 2, 8, 2), 2.0 / 16);  // lora: alpha / (k r), the paper's alpha = 2
  EXPECT_NEAR(weight_of({{"omega", std::string("rslora")}}, 2, 8, 2), 2.0 / 4, 1e-7);  // alpha / sqrt(k r)
  EXPECT_NEAR(weight_of({{"omega", 0.3}}, 3, 4, 8), 0.3, 1e-7);
}

TEST(ReMixRouter, SequenceRoutingKeepsThePromptsSelectionWhileDecoding) {
  auto router = make_remix({{"granularity", std::string("sequence")}, {"router_init_range", 1.0}}, 6, 2);
  RouteInput prefill;
  prefill.x = torch::randn({3, 5, 6});
  prefill.mask = torch::ones({3, 5}, torch::kBool);
  prefill.prompt_mask = prefill.mask;
  torch::Tensor state;
  prefill.state = &state;
  auto first = router->route(prefill);
  ASSERT_TRUE(state.defined());
  for (int step = 0; step < 3; ++step) {
    RouteInput next;
    next.x = torch::randn({3, 1, 6}) * 10;  // whatever the new token looks like
    next.mask = torch::ones({3, 1}, torch::kBool);
    next.prompt_mask = torch::zeros({3, 1}, torch::kBool);
    next.decoding = true;
    next.state = &state;
    auto out = router->route(next);
    EXPECT_TRUE(torch::equal(out.experts.squeeze(1), first.experts.select(1, 0)));
    EXPECT_TRUE(torch::allclose(out.probs.squeeze(1), first.probs.select(1, 0)));
  }
}

}  // namespace
}  // namespace remix
