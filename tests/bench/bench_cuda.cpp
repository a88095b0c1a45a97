// Benchmark: the training step on a GPU (tests/gpu/device_check.sh runs it on a lent one; without a CUDA device it
// says so and exits 0), through the trainer's own forward_backward, measured in one run.
//   shapes:  the quickstart model (dim 128, 4 layers) and a SmolLM2-135M-shaped one (dim 576, 30 layers, 9 query /
//            3 KV heads, FFN 1536, vocabulary 49152; random weights, since a step's time does not depend on them),
//            each with its frozen matrices stored in float32 and in bfloat16 (model.dtype; products in bfloat16 on a
//            GPU: model/frozen_weights.h);
//   steps:   single LoRA r=8, softmax n=8 r=4 k=2, ReMix n=8 r=4 k=2 M=4, batch 16 of the built-in tasks; ratios
//            softmax / single LoRA and ReMix / softmax (bench_train's, on the CPU), tokens/s;
//   MFU:     the base model's work per step (bench_flops.h) per second over the same run's dense matmul rate
//            (8192^3, in the storage dtype; float32 without TF32).
//
//   build/tests/bench/bench_cuda
#include <torch/cuda.h>

#include <chrono>
#include <cstdio>
#include <functional>

#include "common/library_environment.h"
#include "bench_flops.h"
#include "bench_steps.h"
#include "common/machine.h"

namespace {

using namespace remix;
using Clock = std::chrono::steady_clock;

double timed(const std::function<void()>& f) {
  torch::cuda::synchronize();
  auto t = Clock::now();
  f();
  torch::cuda::synchronize();
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double matmul_flops_per_second(torch::Dtype dtype) {
  auto o = torch::TensorOptions().device(torch::kCUDA).dtype(dtype);
  const std::int64_t n = 8192;
  auto a = torch::randn({n, n}, o), b = torch::randn({n, n}, o);
  for (int i = 0; i < 3; ++i) torch::mm(a, b);
  double best = 1e9;
  for (int i = 0; i < 10; ++i) best = std::min(best, timed([&] { torch::mm(a, b); }));
  return 2.0 * n * n * n / best;
}

void bench_shape(const std::string& label, const model::TransformerOptions& shape, torch::Dtype dtype,
                 const train::SequenceBatch& batch, double peak) {
  torch::manual_seed(0);
  model::Transformer base_weights(shape);
  const nlohmann::json mixture = {{"num_experts", 8}, {"top_k", 2}, {"r", 4}};
  auto variant = [&](const std::string& name, const std::string& router, const nlohmann::json& adapter,
                     std::int64_t samples) {
    return bench::make_step_variant(name, router, adapter, samples, base_weights, shape, torch::kCUDA, dtype);
  };
  std::vector<bench::StepVariant> v;
  v.push_back(variant("single LoRA r=8", "lora", {{"num_experts", 1}, {"top_k", 1}, {"r", 8}}, 1));
  v.push_back(variant("softmax n=8 r=4 k=2", "softmax", mixture, 1));
  v.push_back(variant("remix n=8 r=4 k=2 M=4", "remix", mixture, 4));
  for (auto& var : v)
    for (int i = 0; i < 3; ++i) var.run(batch);
  for (int r = 0; r < 10; ++r)
    for (auto& var : v) var.seconds.push_back(timed([&] { var.run(batch); }));
  const double mean_len = static_cast<double>(batch.tokens) / static_cast<double>(batch.rows());
  const double flops = bench::step_flops(shape, batch.tokens, mean_len);
  std::printf("\n%s, frozen matrices in %s, batch 16 (%lld tokens); 10 interleaved repetitions, best\n", label.c_str(),
              dtype == torch::kBFloat16 ? "bfloat16" : "float32", static_cast<long long>(batch.tokens));
  for (auto& var : v) {
    const double tokens = static_cast<double>(batch.tokens * var.samples);
    std::printf("  %-24s %8.2f ms  %9.0f tokens/s  MFU %.3f\n", var.name.c_str(), var.best() * 1e3,
                tokens / var.best(), flops * static_cast<double>(var.samples) / var.best() / peak);
  }
  std::printf("  ratio softmax / single LoRA %.2fx, remix M=4 / softmax %.2fx\n", v[1].best() / v[0].best(),
              v[2].best() / v[1].best());
}

}  // namespace

int main(int, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  std::printf("LibTorch %s\n%s\n", TORCH_VERSION, machine::summary().c_str());
  if (!torch::cuda::is_available()) {
    std::printf("no CUDA device visible to this LibTorch: nothing measured\n");
    return 0;
  }
  at::globalContext().setAllowTF32CuBLAS(false);  // float32 means float32
  const double fp32 = matmul_flops_per_second(torch::kFloat32), bf16 = matmul_flops_per_second(torch::kBFloat16);
  std::printf("dense matmul 8192^3: float32 %.1f TFLOP/s, bfloat16 %.1f TFLOP/s\n", fp32 / 1e12, bf16 / 1e12);

  auto probe = bench::step_config("softmax", nlohmann::json::object());
  auto tokenizer = model::make_tokenizer(probe);
  auto quickstart = model::transformer_options_from(probe, tokenizer->vocab_size());
  train::TaskSet tasks(probe);
  auto batch = train::make_batch(*tokenizer, bench::step_examples(tasks), true, quickstart.max_seq_len());
  auto smol = model::TransformerOptions(quickstart).dim(576).n_layers(30).n_heads(9).n_kv_heads(3).ffn_dim(1536)
                  .vocab_size(49152);
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    const double peak = dtype == torch::kBFloat16 ? bf16 : fp32;
    bench_shape("quickstart model (dim 128, 4 layers)", quickstart, dtype, batch, peak);
    bench_shape("SmolLM2-135M shape (dim 576, 30 layers, vocabulary 49152)", smol, dtype, batch, peak);
  }
  return 0;
}
