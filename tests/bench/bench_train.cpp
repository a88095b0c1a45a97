// Benchmark: what a training step costs per router, on the quickstart model and the built-in tasks, through the
// trainer's own forward_backward (the code trials run), measured in one run with interleaved repetitions.
//   steps:  single LoRA (rank k·r = 8), softmax and hydra (n=8, r=4, k=2), and ReMix with M = 2, 4, 8 routing
//           samples (the batch replicated M times in one forward and one backward), each a whole step: forward,
//           losses, backward, AdamW. The same 16 examples for all. Targets: ReMix(M=4) <= 4.2x the softmax step;
//           ReMix(M) / (M x softmax) shows what one replicated pass saves over M separate ones.
//   eval:   greedy generation with the KV cache (eval-mode top-k routing) on 32 prompts, new tokens per second.
//   MFU:    model FLOPs of the softmax step (below) per second, over the FLOP/s of one large sgemm (1024^3)
//           measured here on the same threads. Targets (the performance issue): >= 0.35 at the quickstart size
//           with 2 threads; >= 0.5 for a step of the base model's own pretraining (train::pretrain: every weight
//           trained, full windows, no padding, 6 FLOPs per weight and token), the dense path the finetuning step
//           is measured against.
//
//   build/tests/bench/bench_train [threads]     (threads: cores for compute, as runtime.threads; default all)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "common/library_environment.h"
#include "adapter/routing_trace.h"
#include "bench_flops.h"
#include "bench_steps.h"
#include "common/compute_threads.h"
#include "model/generation.h"
#include "model/transformer_options.h"
#include "plugin/registry.h"
#include "common/machine.h"
#include "train/pretrain.h"
#include "train/sequence_batch.h"
#include "train/task_set.h"
#include "train/trainer.h"
#include "trial/trial_model.h"

namespace {

using namespace remix;
using Clock = std::chrono::steady_clock;
using bench::sgemm_flops_per_second;
using bench::step_flops;
using bench::StepVariant;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  set_compute_threads(argc > 1 ? std::atoi(argv[1]) : 0);
  std::printf("LibTorch %s, compute threads %d\n%s\n", TORCH_VERSION, compute_threads(), machine::summary().c_str());
  // The same 16 training examples for every variant, taken from the three tasks in turn.
  bench::StepSetup setup;
  const auto& shape = setup.shape;
  const auto& batch = setup.batch;
  const auto& base_weights = setup.base_weights;
  auto& tasks = setup.tasks;
  auto& tokenizer = setup.tokenizer;

  const nlohmann::json mixture = {{"num_experts", 8}, {"top_k", 2}, {"r", 4}};
  std::vector<StepVariant> v;
  auto variant = [&](const std::string& name, const std::string& router, const nlohmann::json& adapter,
                     std::int64_t samples) {
    return bench::make_step_variant(name, router, adapter, samples, base_weights, shape);
  };
  v.push_back(variant("single LoRA r=8 (lora)", "lora", {{"num_experts", 1}, {"top_k", 1}, {"r", 8}}, 1));
  v.push_back(variant("softmax n=8 r=4 k=2", "softmax", mixture, 1));
  v.push_back(variant("hydra n=8 r=4", "hydra", mixture, 1));
  for (std::int64_t m : {2, 4, 8})
    v.push_back(variant("remix n=8 r=4 k=2 M=" + std::to_string(m), "remix", mixture, m));
  const int warmup = 2, reps = 9;
  for (auto& var : v)
    for (int i = 0; i < warmup; ++i) var.run(batch);
  for (int r = 0; r < reps; ++r)
    for (auto& var : v) {
      auto t = Clock::now();
      var.run(batch);
      var.seconds.push_back(seconds_since(t));
    }
  std::printf("\ntraining step, quickstart model (dim %lld, %lld layers, FFN %lld), batch 16 (%lld tokens), "
              "gate/up/down adapted\n(%d interleaved repetitions, best)\n",
              static_cast<long long>(shape.dim()), static_cast<long long>(shape.n_layers()),
              static_cast<long long>(shape.ffn_dim()), static_cast<long long>(batch.tokens), reps);
  for (auto& var : v) std::printf("  %-30s %8.1f ms\n", var.name.c_str(), var.best() * 1e3);
  const double lora = v[0].best(), softmax = v[1].best();
  std::printf("  ratio softmax / single LoRA          %6.2fx\n", softmax / lora);
  std::printf("  ratio hydra / single LoRA            %6.2fx\n", v[2].best() / lora);
  for (std::size_t i = 3; i < v.size(); ++i) {
    double m = static_cast<double>(v[i].samples), ratio = v[i].best() / softmax;
    std::printf("  ratio remix M=%lld / softmax           %6.2fx   (/ M x softmax: %.2f)%s\n",
                static_cast<long long>(v[i].samples), ratio, ratio / m,
                v[i].samples == 4 ? (ratio <= 4.2 ? "  target <= 4.2x: met" : "  target <= 4.2x: NOT met") : "");
  }
  std::printf("  ratio remix M=4 / single LoRA        %6.2fx\n", v[4].best() / lora);

  // Evaluation: greedy generation of up to 48 tokens for 32 prompts with the softmax mixture, eval mode.
  std::vector<std::string> prompts;
  for (std::size_t i = 0; prompts.size() < 32; ++i) prompts.push_back(tasks.tasks()[0].eval[i % tasks.tasks()[0].eval.size()].prompt);
  auto p = train::make_prompts(*tokenizer, prompts);
  auto& gen_model = v[1].model.model;
  gen_model->eval();
  // No early stop: every row generates the full budget, so the rate does not depend on what the model says.
  auto options = model::GenerationOptions().max_new_tokens(48).eos_id(-1).pad_id(tokenizer->pad_id());
  model::generate(gen_model, p.tokens, p.valid, options);
  double best_gen = 1e9, new_tokens = 0;
  for (int i = 0; i < 3; ++i) {
    auto t = Clock::now();
    auto g = model::generate(gen_model, p.tokens, p.valid, options);
    double s = seconds_since(t);
    if (s < best_gen) best_gen = s, new_tokens = static_cast<double>(g.lengths.sum().item<std::int64_t>());
  }
  std::printf("\neval generation, 32 prompts, greedy, KV cache: %.0f new tokens in %.1f ms = %.0f tokens/s\n",
              new_tokens, best_gen * 1e3, new_tokens / best_gen);

  double mean_len = static_cast<double>(batch.tokens) / static_cast<double>(batch.rows());
  double flops = step_flops(shape, batch.tokens, mean_len);
  double peak = sgemm_flops_per_second();
  std::printf("\nsgemm 1024^3: %.1f GFLOP/s\n", peak / 1e9);
  for (std::size_t i : {std::size_t{0}, std::size_t{1}}) {
    double achieved = flops / v[i].best();
    std::printf("  %-30s %.2f GFLOP base-model work/step, %.1f GFLOP/s, MFU vs sgemm %.2f%s\n", v[i].name.c_str(),
                flops / 1e9, achieved / 1e9, achieved / peak,
                i == 1 ? (achieved / peak >= 0.35 ? "  (target >= 0.35: met)" : "  (target >= 0.35: NOT met)") : "");
  }

  // Pretraining steps of a fresh copy of the base through train::pretrain, on the tasks' own pretraining text.
  const std::int64_t pretrain_steps = 12, pretrain_batch = 32;
  model::Transformer dense(shape);
  train::PretrainOptions po;
  po.steps = pretrain_steps, po.batch_size = pretrain_batch, po.warmup_steps = 2, po.log_every = pretrain_steps;
  auto t0 = Clock::now();
  train::pretrain(dense, *tokenizer, tasks.pretraining_documents(), po, [](std::int64_t, double, double) {});
  double per_step = seconds_since(t0) / static_cast<double>(pretrain_steps);
  double T = static_cast<double>(shape.max_seq_len());
  double d = static_cast<double>(shape.dim()), L = static_cast<double>(shape.n_layers());
  double weights = step_flops(shape, 1, 0) / 4;  // the frozen-step count is 4 FLOPs per weight and token
  double dense_flops = (6 * weights + L * 4 * T * d * 3) * T * static_cast<double>(pretrain_batch);
  double dense_rate = dense_flops / per_step;
  std::printf("  %-30s %.2f GFLOP/step (%lld x %lld tokens), %.1f GFLOP/s, MFU vs sgemm %.2f  (target >= 0.5: %s)\n",
              "pretraining step (dense)", dense_flops / 1e9, static_cast<long long>(pretrain_batch),
              static_cast<long long>(T), dense_rate / 1e9, dense_rate / peak,
              dense_rate / peak >= 0.5 ? "met" : "NOT met");
  return 0;
}
