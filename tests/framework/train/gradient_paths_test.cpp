// Where the gradients of a ReMix step go, on a tiny model with the real ReMix plugin: the router parameters
// get gradient only from the router loss (never from the LoRA loss), the LoRA factors only from the LoRA loss;
// and the LoRA gradient of the replicated batch equals the mean over the M selections of the gradients of
// separate forwards that replay each selection.
#include <gtest/gtest.h>

#include <map>

#include "adapter/routing_trace.h"
#include "model/tokenizer.h"
#include "support/models.h"
#include "train/policy_gradient.h"
#include "train/sequence_batch.h"

namespace remix::train {
namespace {

constexpr std::int64_t kM = 4;

SequenceBatch tiny_batch() {
  model::ByteTokenizer tok;
  return make_batch(tok, {{"Q: 2+3?\nA: ", "5\n"}, {"the cat ", "sat on the mat"}, {"abc", "defgh"}}, true, 64);
}

torch::Tensor forward_losses(model::Transformer& m, const SequenceBatch& batch, adapter::RoutingTrace* trace) {
  return sequence_losses(m->forward(batch.inputs, batch.routing(/*training=*/true, trace)), batch);
}

adapter::MixtureOptions options() {
  return adapter::MixtureOptions().num_experts(4).top_k(2).r(2).lora_alpha(4).router_name("remix");
}

bool all_zero(const std::vector<torch::Tensor>& grads) {
  for (const auto& g : grads)
    if (g.defined() && g.abs().max().item<double>() != 0) return false;
  return true;
}

TEST(GradientPaths, RouterLearnsOnlyFromRouterLossAndLorasOnlyFromLoraLoss) {
  auto m = test::tiny_model(3);
  auto mixture = adapter::attach_mixture(m, options(), test::router_source("remix"));
  test::randomize_adapters(mixture);
  ASSERT_TRUE(mixture.needs_policy_gradient);
  torch::manual_seed(5);
  adapter::RoutingTrace trace;
  auto batch = tiny_batch().repeat(kM);
  auto losses = forward_losses(m, batch, &trace);
  auto lora_loss = losses.mean();
  auto router_loss = policy_gradient_loss(losses, trace.log_prob(), kM, Estimator::Rloo).router_loss;
  auto lora = mixture.adapter_parameters(), router = mixture.router_parameters();
  ASSERT_FALSE(router.empty());
  auto from_lora = torch::autograd::grad({lora_loss}, router, {}, true, false, /*allow_unused=*/true);
  EXPECT_TRUE(all_zero(from_lora)) << "the LoRA loss reached the router";
  auto from_router = torch::autograd::grad({router_loss}, lora, {}, true, false, true);
  EXPECT_TRUE(all_zero(from_router)) << "the router loss reached the LoRAs";
  auto router_grads = torch::autograd::grad({router_loss}, router, {}, true, false, true);
  EXPECT_FALSE(all_zero(router_grads)) << "the router learns nothing";
  for (const auto& p : m->base_parameters()) EXPECT_FALSE(p.requires_grad());
}

// A router that replays given selections (per site) with ReMix's constant weight.
class ReplayRouter : public Router {
 public:
  ReplayRouter(torch::Tensor experts, double omega) : experts_(std::move(experts)), omega_(omega) {}
  RouteOutput route(const RouteInput& in) override {
    RouteOutput out;
    out.experts = experts_;
    out.weights = torch::full(experts_.sizes(), omega_, in.x.options());
    out.probs = torch::full({in.x.size(0), in.x.size(1), 4}, 0.25, in.x.options());
    return out;
  }

 private:
  torch::Tensor experts_;
  double omega_;
};

TEST(GradientPaths, LoraGradientIsTheMeanOverSelections) {
  const std::int64_t B = tiny_batch().rows();
  auto m = test::tiny_model(3);
  auto mixture = adapter::attach_mixture(m, options(), test::router_source("remix"));
  test::randomize_adapters(mixture);
  torch::manual_seed(9);
  adapter::RoutingTrace trace;
  auto losses = forward_losses(m, tiny_batch().repeat(kM), &trace);
  auto lora = mixture.adapter_parameters();
  auto batched = torch::autograd::grad({losses.mean()}, lora);

  // The selections each site drew, per replica.
  std::map<std::string, torch::Tensor> drawn;
  for (const auto& d : trace.decisions()) drawn[d.site] = d.experts;
  double omega = 4.0 / (2 * 2);  // lora_alpha / (k·r)
  std::vector<torch::Tensor> mean(lora.size());
  for (std::int64_t s = 0; s < kM; ++s) {
    auto replay = test::tiny_model(3);
    auto replay_mixture = adapter::attach_mixture(replay, options(), {"replay", RouterTraits(), [&](const RouterContext& c) {
      return std::make_shared<ReplayRouter>(drawn.at(c.site).narrow(0, s * B, B).contiguous(), omega);
    }});
    {
      torch::NoGradGuard g;
      auto params = m->named_parameters();
      for (auto& p : replay->named_parameters())
        if (params.contains(p.key())) p.value().copy_(params[p.key()]);
    }
    auto grads = torch::autograd::grad({forward_losses(replay, tiny_batch(), nullptr).mean()},
                                       replay_mixture.adapter_parameters());
    for (std::size_t i = 0; i < grads.size(); ++i) mean[i] = mean[i].defined() ? mean[i] + grads[i] / kM : grads[i] / kM;
  }
  for (std::size_t i = 0; i < lora.size(); ++i)
    EXPECT_TRUE(torch::allclose(batched[i], mean[i], 1e-4, 1e-6)) << "parameter " << i << " max diff "
                                                                    << (batched[i] - mean[i]).abs().max().item<double>();
}

}  // namespace
}  // namespace remix::train
