// Benchmark: the cost of a Mixture-of-LoRAs against what it is added to, ratios measured in one run
// (interleaved repetitions; ratios of the best repetitions, medians printed beside), with the thread settings.
//   layer: one projection d=512 -> 512 over T=512 tokens, forward + backward (the input requires grad, as inside a
//          model): frozen linear; + single LoRA of rank k·r = 16; + mixture n=8, r=8, k=2 with the softmax router and
//          with ReMix (training-mode routing, router included). Target: mixture <= 1.45x the frozen linear.
//   step:  a whole training step (forward, cross-entropy + aux loss, backward, AdamW) of the calibration model
//          (dim 128, 4 layers, FFN 344, batch 16 x 96 tokens) with gate/up/down adapted: mixture n=8, r=4, k=2
//          (softmax router) against a single LoRA of rank k·r = 8. Target: mixture <= 1.25x the single LoRA.
//
//   build/tests/bench/bench_mixture [threads]      (threads: cores for compute, as runtime.threads; default 1)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "common/library_environment.h"
#include "adapter/mixture_of_loras.h"
#include "adapter/routing_trace.h"
#include "common/compute_threads.h"
#include "plugin/registry.h"
#include "common/machine.h"

namespace {

using namespace remix;
using Clock = std::chrono::steady_clock;

struct Variant {
  std::string name;
  std::function<void()> run;
  std::vector<double> seconds;
  // The fastest repetition: other load on the machine only ever adds time, so the minimum is the steadiest
  // estimate of what the code itself costs (the median is printed beside it).
  double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
  double median() const {
    auto s = seconds;
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() / 2), s.end());
    return s[s.size() / 2];
  }
};

// Runs every variant `warmup` times, then `reps` rounds of one run each, interleaved so drift hits all alike.
void measure(std::vector<Variant>& variants, int warmup, int reps) {
  for (auto& v : variants)
    for (int i = 0; i < warmup; ++i) v.run();
  for (int r = 0; r < reps; ++r)
    for (auto& v : variants) {
      auto t = Clock::now();
      v.run();
      v.seconds.push_back(std::chrono::duration<double>(Clock::now() - t).count());
    }
}

std::shared_ptr<plugin::PluginLibrary> router_plugin(const std::string& name) {
  plugin::PluginRegistry registry({REMIX_PLUGIN_DIR});
  return registry.find(PluginKind::Router, name);
}

adapter::RouterSource source(const std::string& name) {
  auto lib = router_plugin(name);
  return {lib->name(), lib->router_traits(), lib->router_factory(lib->default_params())};
}

// One adapted projection d -> d through the framework's own path (routing site + MixtureOfLoras), or the frozen
// linear alone; forward + backward with the input requiring grad.
std::function<void()> adapted_layer(const std::string& router, std::int64_t n, std::int64_t k, std::int64_t r,
                                    const torch::Tensor& W, const torch::Tensor& x, const torch::Tensor& upstream) {
  const auto d = W.size(0);
  auto ctx = adapter::MixtureOptions()
                 .num_experts(n)
                 .top_k(k)
                 .r(r)
                 .lora_alpha(2.0 * static_cast<double>(r))
                 .router_context("bench", d);
  auto from = source(router);
  auto site = adapter::RoutingSite(ctx, from.make(ctx), router, from.traits.policy_gradient);
  auto mixture = adapter::MixtureOfLoras(adapter::ExpertBankOptions(d, d, n, r), 0.0);
  {
    torch::NoGradGuard no_grad;
    mixture->bank->B.normal_(0, 0.02);
  }
  model::RoutingContext routing;  // as the transformer fills it: training mode, every token valid
  routing.training = true;
  routing.valid_mask = torch::ones({x.size(0), x.size(1)}, torch::kBool);
  routing.prompt_mask = routing.valid_mask;
  return [=]() mutable { mixture->forward(x, W, site->route(x, routing).weights).backward(upstream); };
}

void bench_layer() {
  const std::int64_t d = 512, T = 512, n = 8, r = 8, k = 2;
  torch::manual_seed(0);
  auto W = torch::randn({d, d}) / std::sqrt(static_cast<double>(d));
  auto x = torch::randn({1, T, d}).requires_grad_(true);
  auto upstream = torch::randn({1, T, d});
  std::vector<Variant> v = {
      {"frozen linear", [&] { torch::nn::functional::linear(x, W).backward(upstream); }, {}},
      {"+ single LoRA r=k*r=16 (lora)", adapted_layer("lora", 1, 1, k * r, W, x, upstream), {}},
      {"+ mixture n=8 r=8 k=2 (softmax)", adapted_layer("softmax", n, k, r, W, x, upstream), {}},
      {"+ mixture n=8 r=8 k=2 (remix)", adapted_layer("remix", n, k, r, W, x, upstream), {}},
  };
  measure(v, 5, 41);
  std::printf("\none layer, forward + backward, d=%lld T=%lld (41 interleaved repetitions: best, median)\n",
              static_cast<long long>(d), static_cast<long long>(T));
  for (auto& var : v)
    std::printf("  %-34s %8.3f ms %8.3f ms\n", var.name.c_str(), var.best() * 1e3, var.median() * 1e3);
  const double frozen = v[0].best(), lora = v[1].best();
  std::printf("  ratio mixture (softmax) / frozen linear   %6.3fx  (target <= 1.45x: %s)\n", v[2].best() / frozen,
              v[2].best() / frozen <= 1.45 ? "met" : "NOT met");
  std::printf("  ratio mixture (remix) / frozen linear     %6.3fx  (target <= 1.45x: %s)\n", v[3].best() / frozen,
              v[3].best() / frozen <= 1.45 ? "met" : "NOT met");
  // Multiply-adds of the dense mixture (x·A_allᵀ and ·B_allᵀ forward; four products backward, each d·n·r per
  // token) over the frozen layer's (forward and input gradient, d·d per token each): the floor of this formulation.
  std::printf("  FLOP ratio mixture / frozen linear        %6.3fx  (dense mixture products: the floor)\n",
              1.0 + 6.0 * static_cast<double>(n * r) / (2.0 * static_cast<double>(d)));
  std::printf("  ratio mixture (softmax) / single LoRA     %6.3fx\n", v[2].best() / lora);
  std::printf("  ratio single LoRA / frozen linear         %6.3fx\n", lora / frozen);
}

struct TrainingStep {
  model::Transformer model{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
  torch::Tensor tokens;

  TrainingStep(const std::string& router, adapter::MixtureOptions options, const torch::Tensor& batch) : tokens(batch) {
    torch::manual_seed(1);
    model::TransformerOptions shape;  // the calibration model: dim 128, 4 layers, 4 heads, FFN 344, context 96
    model = model::Transformer(shape);
    auto mixture = adapter::attach_mixture(model, options, source(router));
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(mixture.adapter_parameters());
    if (!mixture.router_parameters().empty()) groups.emplace_back(mixture.router_parameters());
    optimizer = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(3e-3));
  }

  void run() {
    adapter::RoutingTrace trace;
    model::RoutingContext routing;
    routing.training = true;
    routing.trace = &trace;
    optimizer->zero_grad();
    auto logits = model->forward(tokens.narrow(1, 0, tokens.size(1) - 1), routing);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                     tokens.narrow(1, 1, tokens.size(1) - 1).reshape({-1})) +
                trace.aux_loss();
    loss.backward();
    optimizer->step();
  }
};

void bench_step() {
  torch::manual_seed(2);
  auto batch = torch::randint(0, 256, {16, 97});
  using model::Projection;
  auto ffn = std::vector<Projection>{Projection::Gate, Projection::Up, Projection::Down};
  TrainingStep mixture("softmax", adapter::MixtureOptions().targets(ffn).num_experts(8).top_k(2).r(4).lora_alpha(8),
                       batch);
  TrainingStep lora("lora", adapter::MixtureOptions().targets(ffn).num_experts(1).top_k(1).r(8).lora_alpha(8), batch);
  std::vector<Variant> v = {{"single LoRA r=8 (lora router)", [&] { lora.run(); }, {}},
                            {"mixture n=8 r=4 k=2 (softmax)", [&] { mixture.run(); }, {}}};
  measure(v, 3, 21);
  std::printf(
      "\ntraining step, dim 128, 4 layers, FFN 344, batch 16 x 96 tokens, gate/up/down adapted\n"
      "(21 interleaved repetitions: best, median)\n");
  for (auto& var : v)
    std::printf("  %-34s %8.2f ms %8.2f ms\n", var.name.c_str(), var.best() * 1e3, var.median() * 1e3);
  const double ratio = v[1].best() / v[0].best();
  std::printf("  ratio mixture / single LoRA               %6.3fx  (target <= 1.25x: %s)\n", ratio,
              ratio <= 1.25 ? "met" : "NOT met");
}

}  // namespace

int main(int argc, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  remix::set_compute_threads(argc > 1 ? std::atoi(argv[1]) : 1);
  std::printf("LibTorch %s, compute threads %d (LibTorch pool %d)\n%s\n", TORCH_VERSION, remix::compute_threads(),
              torch::get_num_threads(), remix::machine::summary().c_str());
  bench_layer();
  bench_step();
  return 0;
}
