// The policy-gradient estimators are unbiased, checked on the real ReMix router plugin against the exact
// gradient of the expected loss, computed by enumerating every ordered selection (sampling without replacement:
// Q(a₁..a_k) = Π_i q_{a_i} / (1 − Σ_{j<i} q_{a_j})):
//   - one routing site with n = 4 experts and k = 1, 2, 3, 4 (k ≥ 3 catches a log Q that removes only the
//     previous draw from the pool, which k = 2 cannot tell apart), a loss given for every ordered selection;
//   - ReMix's `score: set` for a loss of the unordered set (k = 2, 3), against the ordered score;
//   - two distinct sequences of two tokens, the second sequence's last token padding, in the replicated-batch
//     layout the trainer uses (row m·B + b), each sequence's loss a function of its valid tokens' selections.
//   - train.credit: to-go on one sequence of three tokens whose losses are causal (below).
// The mean of 25,000 RLOO (and REINFORCE) estimates from the trainer's own loss function must match within
// 4 standard errors (batch means over 250 chunks of 100), RLOO's variance must be below REINFORCE's, and a
// biased estimator must be caught.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "support/models.h"
#include "train/policy_gradient.h"

namespace remix::train {
namespace {

constexpr std::int64_t kN = 4, kD = 5, kM = 4, kPerChunk = 100, kChunks = 250;

using Selection = std::vector<std::int64_t>;  // experts in selection order

// The loss of an ordered selection: depends on order and on each draw, far from zero so that the baseline matters.
double loss_of(const Selection& s) {
  double l = 3.0 + 0.3 * static_cast<double>(s.front() * s.back());
  for (std::size_t i = 0; i < s.size(); ++i) l += (0.8 - 0.45 * static_cast<double>(i)) * static_cast<double>(s[i]);
  return l;
}

struct Site {
  std::shared_ptr<Router> router;
  torch::Tensor weight;
  std::int64_t k;
};

Site make_site(std::int64_t k, const std::map<std::string, ParamValue>& params = {}) {
  auto lib = test::router_plugin("remix");
  auto ctx = adapter::MixtureOptions().num_experts(kN).top_k(k).r(4).lora_alpha(8).router_context("layers.0.ffn", kD);
  Site s{lib->create_router(test::router_params(*lib, params), ctx), {}, k};
  torch::manual_seed(7);
  s.weight = s.router->named_parameters()["weight"];
  torch::NoGradGuard g;
  s.weight.copy_(torch::randn({kN, kD}) * 0.7);
  return s;
}

// Every ordered selection of k distinct experts of n, with its probability under q (a differentiable tensor).
void for_each_selection(const torch::Tensor& q, std::int64_t k,
                        const std::function<void(const Selection&, const torch::Tensor&)>& fn) {
  Selection s;
  std::function<void(torch::Tensor, torch::Tensor)> draw = [&](torch::Tensor prob, torch::Tensor taken) {
    if (static_cast<std::int64_t>(s.size()) == k) return fn(s, prob);
    for (std::int64_t a = 0; a < kN; ++a) {
      if (std::find(s.begin(), s.end(), a) != s.end()) continue;
      s.push_back(a);
      draw(prob * q[a] / (1 - taken), taken + q[a]);
      s.pop_back();
    }
  };
  draw(torch::ones({}, q.options()), torch::zeros({}, q.options()));
}

// Rows of x [rows, T, D] and mask [rows, T]: route once, give each row its loss, return the gradient of the
// trainer's router loss (the mean over the batch of the estimates).
torch::Tensor routed_gradient(Site& s, const torch::Tensor& x, const torch::Tensor& mask, Estimator estimator,
                              const std::function<double(std::int64_t row, const std::vector<Selection>&)>& loss) {
  RouteInput in;
  in.x = x;
  in.mask = mask;
  in.prompt_mask = mask;
  in.training = true;
  auto out = s.router->route(in);
  const auto rows = x.size(0), T = x.size(1);
  auto experts = out.experts.contiguous();
  auto e = experts.accessor<std::int64_t, 3>();
  auto valid = mask.accessor<bool, 2>();
  auto L = torch::empty({rows});
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<Selection> tokens;
    for (std::int64_t t = 0; t < T; ++t) {
      if (!valid[r][t]) continue;
      Selection sel;
      for (std::int64_t i = 0; i < s.k; ++i) sel.push_back(e[r][t][i]);
      tokens.push_back(sel);
    }
    L[r] = loss(r, tokens);
  }
  auto pg = policy_gradient_loss(L, out.log_prob, kM, estimator);
  if (s.weight.grad().defined()) s.weight.grad().zero_();
  pg.router_loss.backward();
  return s.weight.grad().flatten().clone();
}

struct Estimate {
  torch::Tensor mean, standard_error, per_estimate_variance;
};

Estimate estimate(const std::function<torch::Tensor()>& chunk, std::uint64_t seed, double scale = 1.0) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> chunks;
  for (std::int64_t c = 0; c < kChunks; ++c) chunks.push_back(chunk() * scale);
  auto g = torch::stack(chunks).to(torch::kDouble);
  auto var = g.var(0);  // variance of a chunk mean
  return {g.mean(0), (var / kChunks).sqrt(), var * kPerChunk};
}

// z: the largest |mean − exact| in standard errors over the parameters.
double z_score(const Estimate& e, const torch::Tensor& exact) {
  return ((e.mean - exact).abs() / e.standard_error).max().item<double>();
}

// ---- one site, one token, k of 4 ----

torch::Tensor single_token_input() {
  torch::manual_seed(3);
  return torch::randn({kD});
}

// ∇_P E[L] with q = softmax(P x).
torch::Tensor exact_single(const Site& s, const std::function<double(const Selection&)>& loss = loss_of) {
  auto P = s.weight.detach().clone().requires_grad_(true);
  auto q = torch::softmax(P.mv(single_token_input()), 0);
  auto expected = torch::zeros({});
  for_each_selection(q, s.k,
                     [&](const Selection& sel, const torch::Tensor& p) { expected = expected + p * loss(sel); });
  expected.backward();
  return P.grad().flatten().to(torch::kDouble);
}

Estimate estimate_single(Site& s, Estimator estimator, std::uint64_t seed, double scale = 1.0,
                         const std::function<double(const Selection&)>& loss = loss_of) {
  auto x = single_token_input().view({1, 1, kD}).expand({kM * kPerChunk, 1, kD}).contiguous();
  auto mask = torch::ones({kM * kPerChunk, 1}, torch::kBool);
  return estimate(
      [&] {
        return routed_gradient(s, x, mask, estimator,
                               [&](std::int64_t, const std::vector<Selection>& tokens) { return loss(tokens[0]); });
      },
      seed, scale);
}

class RlooUnbiasedK : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(RlooUnbiasedK, RlooAndReinforceMeansMatchTheExactGradient) {
  Site s = make_site(GetParam());
  auto exact = exact_single(s);
  for (auto [estimator, name] : {std::pair{Estimator::Rloo, "rloo"}, std::pair{Estimator::Reinforce, "reinforce"}}) {
    auto e = estimate_single(s, estimator, 11);
    // 20 parameters, each within 4 standard errors (a false alarm about once in 800 runs).
    EXPECT_LT(z_score(e, exact), 4.0) << name << " k=" << s.k << ": mean\n" << e.mean << "\nexact\n" << exact
                                      << "\nstandard error\n" << e.standard_error;
    // And the test has teeth: the standard error is small next to the gradient it checks.
    EXPECT_LT(e.standard_error.max().item<double>(), 0.1 * exact.abs().max().item<double>()) << name << " k=" << s.k;
  }
}

TEST_P(RlooUnbiasedK, RlooHasLowerVarianceThanReinforce) {
  Site s = make_site(GetParam());
  auto rloo = estimate_single(s, Estimator::Rloo, 12), reinforce = estimate_single(s, Estimator::Reinforce, 12);
  double v_rloo = rloo.per_estimate_variance.sum().item<double>();
  double v_reinforce = reinforce.per_estimate_variance.sum().item<double>();
  EXPECT_LT(v_rloo, 0.5 * v_reinforce) << "k=" << s.k << ": rloo " << v_rloo << " reinforce " << v_reinforce;
}

INSTANTIATE_TEST_SUITE_P(TopK, RlooUnbiasedK, ::testing::Values(1, 2, 3, 4),
                         [](const auto& info) { return "k" + std::to_string(info.param); });

// ReMix's `score: set` (the unordered set's log-probability, routing::log_prob_of_set): for a loss of the set alone
// — what ReMix computes, every chosen expert weighing the same — both scores are unbiased, and the set's, the
// order's score averaged over the set's orders, has the lower variance.
double set_loss_of(Selection s) {
  std::sort(s.begin(), s.end());
  return loss_of(s);
}

class SetScoreK : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(SetScoreK, IsUnbiasedAndLessNoisyThanTheOrderedScoreForALossOfTheSet) {
  Site set = make_site(GetParam(), {{"score", std::string("set")}}), order = make_site(GetParam());
  auto exact = exact_single(set, set_loss_of);
  auto with_set = estimate_single(set, Estimator::Rloo, 21, 1.0, set_loss_of);
  auto with_order = estimate_single(order, Estimator::Rloo, 21, 1.0, set_loss_of);
  EXPECT_LT(z_score(with_set, exact), 4.0) << "k=" << set.k << ": mean\n" << with_set.mean << "\nexact\n" << exact;
  EXPECT_LT(z_score(with_order, exact), 4.0) << "k=" << set.k;
  double v_set = with_set.per_estimate_variance.sum().item<double>();
  double v_order = with_order.per_estimate_variance.sum().item<double>();
  EXPECT_LT(v_set, v_order) << "k=" << set.k << ": set " << v_set << " order " << v_order;
}

INSTANTIATE_TEST_SUITE_P(TopK, SetScoreK, ::testing::Values(2, 3),
                         [](const auto& info) { return "k" + std::to_string(info.param); });

TEST(RlooUnbiased, ABiasedEstimatorIsCaught) {
  // The same check rejects an estimator that uses the sample's own loss in its baseline (the mean over all M
  // samples, without the M/(M−1) correction: RLOO's loss scaled by (M−1)/M): the test can fail.
  Site s = make_site(2);
  auto e = estimate_single(s, Estimator::Rloo, 13, static_cast<double>(kM - 1) / kM);
  EXPECT_GT(z_score(e, exact_single(s)), 4.0);
}

// ---- two sequences, two tokens, padding, replicated-batch layout ----

TEST(RlooUnbiased, SeveralTokensPaddingAndDistinctSequencesInTheReplicaLayout) {
  constexpr std::int64_t kB = 2, kT = 2, kK = 2;
  Site s = make_site(kK);
  torch::manual_seed(5);
  auto xs = torch::randn({kB, kT, kD});
  auto valid = torch::tensor({{true, true}, {true, false}});  // sequence 1's second token is padding
  // Sequence b's loss from its valid tokens' selections; sequence 1's depends on its one token only.
  auto seq_loss = [](std::int64_t b, const std::vector<Selection>& tokens) {
    double l = loss_of(tokens[0]) * (b == 0 ? 1.0 : 0.7);
    if (tokens.size() > 1) l += 0.5 * loss_of(tokens[1]) - 0.2 * static_cast<double>(tokens[0][0] * tokens[1][1]);
    return l;
  };

  // Exact: the trainer's loss is the mean over sequences, so the target is mean_b ∇E[L_b], enumerating the joint
  // selections of each sequence's valid tokens (independent given the inputs).
  auto P = s.weight.detach().clone().requires_grad_(true);
  auto expected = torch::zeros({});
  for (std::int64_t b = 0; b < kB; ++b) {
    auto q0 = torch::softmax(P.mv(xs[b][0]), 0), q1 = torch::softmax(P.mv(xs[b][1]), 0);
    for_each_selection(q0, kK, [&](const Selection& a, const torch::Tensor& pa) {
      if (b == 1) {
        expected = expected + pa * seq_loss(b, {a}) / kB;
        return;
      }
      for_each_selection(q1, kK, [&](const Selection& c, const torch::Tensor& pc) {
        expected = expected + pa * pc * seq_loss(b, {a, c}) / kB;
      });
    });
  }
  expected.backward();
  auto exact = P.grad().flatten().to(torch::kDouble);

  // Estimates: kPerChunk copies of the two-sequence batch, M samples each, rows m·(kPerChunk·B) + (copy·B + b).
  const std::int64_t batch = kPerChunk * kB;
  auto x = xs.repeat({kM * kPerChunk, 1, 1}).contiguous();
  auto mask = valid.repeat({kM * kPerChunk, 1}).contiguous();
  for (auto [estimator, name] : {std::pair{Estimator::Rloo, "rloo"}, std::pair{Estimator::Reinforce, "reinforce"}}) {
    auto e = estimate(
        [&] {
          return routed_gradient(s, x, mask, estimator, [&](std::int64_t row, const std::vector<Selection>& tokens) {
            return seq_loss((row % batch) % kB, tokens);
          });
        },
        17);
    EXPECT_LT(z_score(e, exact), 4.0) << name << ": mean\n" << e.mean << "\nexact\n" << exact << "\nstandard error\n"
                                      << e.standard_error;
    EXPECT_LT(e.standard_error.max().item<double>(), 0.1 * exact.abs().max().item<double>()) << name;
  }
}

// ---- train.credit: to-go, one sequence of three tokens ----
// Token t's loss ℓ_t depends on the selections at positions ≤ t only (causal). Crediting each decision with the
// losses at and after its position (`reaching`) must stay unbiased and be less noisy than crediting the sequence's
// loss; crediting each with its own position's loss (`own`, the last block's FFN) is unbiased when ℓ_t depends on
// the selection at t alone, and caught as biased when it does not.

using TokenLosses = std::function<std::vector<double>(const std::vector<Selection>&)>;

std::vector<double> causal_losses(const std::vector<Selection>& s) {
  return {loss_of(s[0]), 0.5 * loss_of(s[1]) + 0.4 * static_cast<double>(s[0][0]),
          loss_of(s[2]) - 0.3 * static_cast<double>(s[0][1] * s[1][0])};
}
std::vector<double> positionwise_losses(const std::vector<Selection>& s) {
  std::vector<double> out;
  for (std::size_t t = 0; t < s.size(); ++t) out.push_back((t % 2 ? 0.5 : 0.8) * loss_of(s[t]));
  return out;
}

torch::Tensor to_go_inputs(std::int64_t tokens = 3) {
  torch::manual_seed(9);
  return torch::randn({tokens, kD});
}

torch::Tensor exact_three_tokens(const Site& s, const TokenLosses& losses) {
  auto P = s.weight.detach().clone().requires_grad_(true);
  auto xs = to_go_inputs();
  std::vector<torch::Tensor> q;
  for (std::int64_t t = 0; t < 3; ++t) q.push_back(torch::softmax(P.mv(xs[t]), 0));
  auto expected = torch::zeros({});
  for_each_selection(q[0], s.k, [&](const Selection& a, const torch::Tensor& pa) {
    for_each_selection(q[1], s.k, [&](const Selection& b, const torch::Tensor& pb) {
      for_each_selection(q[2], s.k, [&](const Selection& c, const torch::Tensor& pc) {
        double total = 0;
        for (double l : losses({a, b, c})) total += l;
        expected = expected + pa * pb * pc * total;
      });
    });
  });
  expected.backward();
  return P.grad().flatten().to(torch::kDouble);
}

enum class Credited { Sequence, Reaching, Own };

Estimate estimate_tokens(Site& s, Credited credited, const TokenLosses& losses, std::uint64_t seed,
                         std::int64_t T = 3) {
  const std::int64_t rows = kM * kPerChunk;
  auto x = to_go_inputs(T).unsqueeze(0).expand({rows, T, kD}).contiguous();
  auto mask = torch::ones({rows, T}, torch::kBool);
  return estimate(
      [&] {
        RouteInput in;
        in.x = x;
        in.mask = in.prompt_mask = mask;
        in.training = true;
        auto out = s.router->route(in);
        auto e = out.experts.accessor<std::int64_t, 3>();
        auto per_token = torch::empty({rows, T});
        for (std::int64_t r = 0; r < rows; ++r) {
          std::vector<Selection> sel(static_cast<std::size_t>(T));
          for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t i = 0; i < s.k; ++i) sel[static_cast<std::size_t>(t)].push_back(e[r][t][i]);
          auto l = losses(sel);
          for (std::int64_t t = 0; t < T; ++t) per_token[r][t] = l[static_cast<std::size_t>(t)];
        }
        PolicyGradientLoss pg;
        auto none = torch::zeros_like(out.token_log_prob);
        if (credited == Credited::Sequence)
          pg = policy_gradient_loss(per_token.sum(1), out.log_prob, kM, Estimator::Rloo);
        else if (credited == Credited::Reaching)
          pg = policy_gradient_loss_to_go(per_token, {out.token_log_prob, none}, kM);
        else
          pg = policy_gradient_loss_to_go(per_token, {none, out.token_log_prob}, kM);
        if (s.weight.grad().defined()) s.weight.grad().zero_();
        pg.router_loss.backward();
        return s.weight.grad().flatten().clone();
      },
      seed);
}

TEST(RlooToGo, TheRouterReportsEachTokensShareOfLogQ) {
  Site s = make_site(2);
  RouteInput in;
  in.x = to_go_inputs().unsqueeze(0).expand({2, 3, kD}).contiguous();
  in.mask = in.prompt_mask = torch::tensor({{true, true, true}, {true, true, false}});
  in.training = true;
  auto out = s.router->route(in);
  ASSERT_TRUE(out.token_log_prob.defined());
  EXPECT_TRUE(torch::allclose(out.token_log_prob.sum(1), out.log_prob));
  EXPECT_EQ(out.token_log_prob[1][2].item<float>(), 0.0f);  // padding: no decision
}

TEST(RlooToGo, CreditToGoIsUnbiased) {
  Site s = make_site(2);
  auto exact = exact_three_tokens(s, causal_losses);
  auto to_go = estimate_tokens(s, Credited::Reaching, causal_losses, 31);
  auto sequence = estimate_tokens(s, Credited::Sequence, causal_losses, 31);
  EXPECT_LT(z_score(to_go, exact), 4.0) << "mean\n" << to_go.mean << "\nexact\n" << exact;
  EXPECT_LT(z_score(sequence, exact), 4.0);
  EXPECT_LT(to_go.standard_error.max().item<double>(), 0.1 * exact.abs().max().item<double>());
}

// Less noise is not guaranteed: dropping an earlier loss removes its square from a later decision's term but also its
// covariance with the rest, which may have been negative (causal_losses over 3 tokens: to-go's variance is about
// 1.1x the sequence credit's). Where earlier losses are noise to later decisions — here each token's loss depends
// on its own selection, over 12 tokens — to-go removes much of it, and crediting each decision with its own
// position alone (where that is its whole reach) more.
TEST(RlooToGo, CreditToGoIsLessNoisyWhereEarlierLossesAreNoiseToLaterDecisions) {
  constexpr std::int64_t kTokens = 12;
  Site s = make_site(2);
  auto variance = [&](Credited credited) {
    return estimate_tokens(s, credited, positionwise_losses, 34, kTokens).per_estimate_variance.sum().item<double>();
  };
  double v_sequence = variance(Credited::Sequence), v_to_go = variance(Credited::Reaching),
         v_own = variance(Credited::Own);
  EXPECT_LT(v_to_go, 0.8 * v_sequence) << "to-go " << v_to_go << " sequence " << v_sequence;
  EXPECT_LT(v_own, 0.5 * v_to_go) << "own " << v_own << " to-go " << v_to_go;
}

TEST(RlooToGo, OwnPositionCreditIsUnbiasedOnlyWhereADecisionReachesItsOwnPositionAlone) {
  Site s = make_site(2);
  auto own = estimate_tokens(s, Credited::Own, positionwise_losses, 32);
  EXPECT_LT(z_score(own, exact_three_tokens(s, positionwise_losses)), 4.0);
  // ℓ_1 and ℓ_2 depend on earlier selections: crediting those decisions with their own position only is biased.
  auto wrong = estimate_tokens(s, Credited::Own, causal_losses, 33);
  EXPECT_GT(z_score(wrong, exact_three_tokens(s, causal_losses)), 4.0);
}

}  // namespace
}  // namespace remix::train
