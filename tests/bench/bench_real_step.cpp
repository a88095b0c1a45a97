// Benchmark: a finetuning step of a real model on the CPU. SmolLM2-135M-Instruct from its GGUF (float32 after
// dequantization) with experiments/smollm2.yaml's adapters (q, v, gate, up, down; n = 4, r = 4, k = 2), through the
// trainer's own forward_backward: a single LoRA (r = 4), the softmax mixture and ReMix with M = 2 routing samples,
// and the single LoRA again with model.dtype: bfloat16 (matrices stored in bfloat16, upcast where used),
// on 8 examples of the built-in tasks tokenized by SmolLM2's tokenizer. Prints ms per step, the batch's real tokens per
// second and MFU: the base model's FLOPs of the step (bench_flops.h; M passes for ReMix) per second over a same-run
// sgemm's FLOP/s.
//   build/tests/bench/bench_real_step [threads]    (fetches the model with tests/reference/fetch_smollm2.sh if needed)
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/library_environment.h"
#include "adapter/routing_trace.h"
#include "bench_flops.h"
#include "common/compute_threads.h"
#include "common/machine.h"
#include "model/model_path.h"
#include "plugin/registry.h"
#include "support/reference_data.h"
#include "train/sequence_batch.h"
#include "train/task_set.h"
#include "train/trainer.h"
#include "trial/trial_model.h"

namespace {

using namespace remix;
using Clock = std::chrono::steady_clock;

config::ResolvedConfig real_config(const std::string& gguf, const std::string& router, const nlohmann::json& adapter) {
  nlohmann::json a = {{"target_modules", {"q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"}}};
  a.update(adapter);
  nlohmann::json tree = {{"experiment", {{"name", "bench"}}},
                         {"base", {{"source", "gguf"}, {"path", gguf}}},
                         {"router", {{"plugin", router}}},
                         {"tasks", {{"math", nlohmann::json::object()}, {"code", nlohmann::json::object()},
                                    {"knowledge", nlohmann::json::object()}}},
                         {"adapter", a}};
  return config::resolve_json(tree, "bench " + router, plugin::schema_lookup({REMIX_PLUGIN_DIR}));
}

}  // namespace

int main(int argc, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  set_compute_threads(argc > 1 ? std::atoi(argv[1]) : 0);
  std::printf("LibTorch %s, compute threads %d\n%s\n", TORCH_VERSION, compute_threads(), machine::summary().c_str());
  const auto gguf = test::smollm2_dir() + "/SmolLM2-135M-Instruct.Q4_1.gguf";
  auto base_model = model::load_model_from(gguf);
  base_model->freeze_base();
  auto tokenizer = model::load_tokenizer_from(gguf);

  struct Variant {
    const char* name;
    std::string router;
    nlohmann::json adapter;
    std::int64_t samples;
    bool bf16 = false;  // model.dtype: bfloat16
  };
  const std::vector<Variant> variants = {
      {"single LoRA r=4 (lora)", "lora", {{"num_experts", 1}, {"top_k", 1}, {"r", 4}}, 1},
      {"softmax n=4 r=4 k=2", "softmax", {{"num_experts", 4}, {"top_k", 2}, {"r", 4}}, 1},
      {"remix n=4 r=4 k=2 M=2", "remix", {{"num_experts", 4}, {"top_k", 2}, {"r", 4}}, 2},
      {"single LoRA, bf16 matrices", "lora", {{"num_experts", 1}, {"top_k", 1}, {"r", 4}}, 1, true}};

  auto probe = real_config(gguf, "lora", variants[0].adapter);
  train::TaskSet tasks(probe);
  std::vector<train::TextPair> pairs;
  for (std::size_t i = 0; pairs.size() < 8; ++i) {
    const auto& t = tasks.tasks()[i % tasks.tasks().size()];
    const auto& e = t.train[i / tasks.tasks().size()];
    pairs.push_back({e.prompt, e.answer});
  }
  auto batch = train::make_batch(*tokenizer, pairs, true, base_model->options().max_seq_len());
  const double mean_len = static_cast<double>(batch.tokens) / static_cast<double>(batch.rows());
  const double flops = bench::step_flops(base_model->options(), batch.tokens, mean_len);
  const double peak = bench::sgemm_flops_per_second();
  std::printf("\nfinetuning step, SmolLM2-135M (dim %lld, %lld layers, vocab %lld), batch 8 (%lld real tokens), "
              "q/v/gate/up/down adapted; sgemm 1024^3: %.1f GFLOP/s\n",
              static_cast<long long>(base_model->options().dim()),
              static_cast<long long>(base_model->options().n_layers()),
              static_cast<long long>(base_model->options().vocab_size()), static_cast<long long>(batch.tokens),
              peak / 1e9);
  for (const auto& v : variants) {
    auto cfg = real_config(gguf, v.router, v.adapter);
    auto fresh = model::load_model_from(gguf);  // each variant attaches its mixture to a base of its own
    fresh->freeze_base();
    if (v.bf16) fresh->store_frozen_matrices_as(torch::kBFloat16);
    auto adapted = trial::build_trial_model({fresh, tokenizer, {}}, cfg);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(adapted.mixture.adapter_parameters());
    if (!adapted.mixture.router_parameters().empty()) groups.emplace_back(adapted.mixture.router_parameters());
    torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(1e-3));
    auto step = [&] {
      adapter::RoutingTrace trace;
      optimizer.zero_grad();
      train::forward_backward(adapted, batch, v.samples, train::Estimator::Rloo, trace);
      optimizer.step();
    };
    step();  // warm-up
    double best = 1e9;
    for (int r = 0; r < 3; ++r) {
      auto t = Clock::now();
      step();
      best = std::min(best, std::chrono::duration<double>(Clock::now() - t).count());
    }
    // ReMix runs the batch M times (its routing replicas): M times the work, and M times the tokens it computes.
    const double work = flops * static_cast<double>(v.samples);
    std::printf("  %-28s %7.0f ms/step  %6.0f example tokens/s  MFU vs sgemm %.2f (%.1f GFLOP base-model work/step)\n",
                v.name, best * 1e3, static_cast<double>(batch.tokens) / best, work / best / peak, work / 1e9);
  }
  return 0;
}
