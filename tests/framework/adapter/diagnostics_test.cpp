// Routing diagnostics on hand-made traces whose values are known: applied-weight ESS (equal weights give k,
// one-hot gives 1), q-ESS and normalised entropy of uniform and one-hot distributions, top-1 share, per-expert
// load, distinct selections; padding tokens are not counted; a site seen in several entries (generation
// steps) is counted over all of them; averages and the worst case over sites.
#include <gtest/gtest.h>

#include <map>

#include "adapter/diagnostics.h"

namespace remix::adapter {
namespace {

SiteDecision decision(const std::string& site, torch::Tensor experts, torch::Tensor weights, torch::Tensor probs,
                      torch::Tensor valid) {
  SiteDecision d;
  d.site = site;
  d.num_experts = probs.size(-1);
  d.experts = experts;
  d.weights = weights;
  d.probs = probs;
  d.valid = valid;
  return d;
}

std::map<std::string, double> as_map(const Metrics& m) { return {m.begin(), m.end()}; }

TEST(RoutingDiagnostics, KnownTracesGiveKnownValues) {
  // Site a: 1 sequence of 3 tokens, the last one padding. Token 0 equal weights on experts {0,1}, uniform q;
  // token 1 all weight on expert 2, one-hot q; token 2 (padding) extreme values that must not count.
  auto experts = torch::tensor({0, 1, 2, 3, 3, 0}, torch::kLong).view({1, 3, 2});
  auto weights = torch::tensor({0.5f, 0.5f, 1.0f, 0.0f, 100.0f, 0.0f}).view({1, 3, 2});
  auto probs = torch::tensor({0.25f, 0.25f, 0.25f, 0.25f, 0.f, 0.f, 1.f, 0.f, 0.f, 0.f, 0.f, 1.f}).view({1, 3, 4});
  auto valid = torch::tensor({1, 1, 0}, torch::kBool).view({1, 3});
  RoutingTrace trace;
  trace.record(decision("a", experts, weights, probs, valid));
  // Site b, seen twice (two generation steps of one token each): equal weights both times.
  auto one = torch::ones({1, 1}, torch::kBool);
  auto q = torch::full({1, 1, 4}, 0.25f);
  trace.record(
      decision("b", torch::tensor({1, 2}, torch::kLong).view({1, 1, 2}), torch::full({1, 1, 2}, 0.3f), q, one));
  trace.record(
      decision("b", torch::tensor({2, 1}, torch::kLong).view({1, 1, 2}), torch::full({1, 1, 2}, 0.3f), q, one));

  auto m = as_map(routing_diagnostics(trace));
  EXPECT_DOUBLE_EQ(m.at("routing/a/ess_mean"), 1.5);  // (2 + 1) / 2
  EXPECT_DOUBLE_EQ(m.at("routing/a/ess_min"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("routing/a/q_ess_mean"), 2.5);  // (4 + 1) / 2
  EXPECT_DOUBLE_EQ(m.at("routing/a/q_ess_min"), 1.0);
  EXPECT_NEAR(m.at("routing/a/entropy_norm"), 0.5, 1e-12);  // (1 + 0) / 2
  EXPECT_DOUBLE_EQ(m.at("routing/a/top1_share"), 0.75);     // (0.5 + 1) / 2
  EXPECT_DOUBLE_EQ(m.at("routing/a/load/0"), 0.25);         // selections {0,1} and {2,3}
  EXPECT_DOUBLE_EQ(m.at("routing/a/load/3"), 0.25);
  EXPECT_DOUBLE_EQ(m.at("routing/a/load_max"), 0.25);
  EXPECT_DOUBLE_EQ(m.at("routing/a/weight/0"), 0.25);  // |w| 0.5 of 2.0
  EXPECT_DOUBLE_EQ(m.at("routing/a/weight/2"), 0.5);   // 1.0 of 2.0
  EXPECT_DOUBLE_EQ(m.at("routing/a/weight/3"), 0.0);   // selected, with weight 0
  EXPECT_DOUBLE_EQ(m.at("routing/a/distinct_selections"), 2);
  EXPECT_DOUBLE_EQ(m.at("routing/b/ess_mean"), 2.0);
  EXPECT_DOUBLE_EQ(m.at("routing/b/distinct_selections"), 1);  // {1,2} and {2,1} are one set
  EXPECT_DOUBLE_EQ(m.at("routing/b/load/1"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("routing/ess_mean"), 1.75);  // mean over sites a and b
  EXPECT_DOUBLE_EQ(m.at("routing/ess_min"), 1.5);
  EXPECT_DOUBLE_EQ(m.at("routing/ess_worst"), 1.0);
  EXPECT_EQ(m.count("routing/decisions_per_sequence"), 0u);  // nothing was sampled
  EXPECT_EQ(m.count("routing/load/0"), 0u);                  // loads are per site only
  EXPECT_EQ(m.count("routing/weight/0"), 0u);
}

TEST(RoutingDiagnostics, ADenseRoutersWeightShareIsNotItsUniformLoad) {
  // hydra-style: every expert selected for every token, most of the weight on expert 0.
  auto experts = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3}, torch::kLong).view({1, 2, 4});
  auto weights = torch::tensor({0.7f, 0.1f, 0.1f, 0.1f, 0.7f, 0.1f, 0.1f, 0.1f}).view({1, 2, 4});
  RoutingTrace trace;
  trace.record(decision("d", experts, weights, weights, torch::ones({1, 2}, torch::kBool)));
  auto m = as_map(routing_diagnostics(trace));
  EXPECT_DOUBLE_EQ(m.at("routing/d/load/0"), 0.25);
  EXPECT_NEAR(m.at("routing/d/weight/0"), 0.7, 1e-6);
  EXPECT_NEAR(m.at("routing/d/weight/3"), 0.1, 1e-6);
}

TEST(RoutingDiagnostics, EmptyTraceGivesNoMetrics) { EXPECT_TRUE(routing_diagnostics(RoutingTrace{}).empty()); }

}  // namespace
}  // namespace remix::adapter
