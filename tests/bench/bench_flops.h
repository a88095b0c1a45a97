// What the training benchmarks count as work and measure it against: the model FLOPs of a finetuning step of the
// frozen base, and the FLOP/s of one large sgemm on the same threads (MFU = the first per second / the second).
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "model/transformer_options.h"

namespace remix::bench {

// Multiply-adds x2 of one training step of the frozen base with adapters, per real token: every frozen matrix
// (attention, FFN, output head) forward and input-gradient (2 + 2 FLOPs per weight), attention scores and
// mixing forward (4·T·d per layer, T the mean real length) and backward (twice that); the adapters' own
// products are left out, so this is the base model's useful work (what a single LoRA step mostly is).
inline double step_flops(const model::TransformerOptions& o, std::int64_t tokens, double mean_len) {
  double d = static_cast<double>(o.dim()), L = static_cast<double>(o.n_layers());
  double kv = d * static_cast<double>(o.n_kv_heads()) / static_cast<double>(o.n_heads());
  double per_layer = d * d * 2 + d * kv * 2 + 3 * d * static_cast<double>(o.ffn_dim());
  double matrices = L * per_layer + d * static_cast<double>(o.vocab_size());
  double attention = L * 4 * mean_len * d * 3;
  return (4 * matrices + attention) * static_cast<double>(tokens);
}

inline double sgemm_flops_per_second() {
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  for (int i = 0; i < 3; ++i) torch::mm(a, b);
  double best = 1e9;
  for (int i = 0; i < 10; ++i) {
    auto t = std::chrono::steady_clock::now();
    torch::mm(a, b);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  return 2.0 * 1024 * 1024 * 1024 / best;
}

}  // namespace remix::bench
