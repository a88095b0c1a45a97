// What the training benchmarks count as work and measure it against: the model FLOPs of a finetuning step of the
// frozen base (train/compute_account.h, the count trials record), and the FLOP/s of one large sgemm on the same
// threads (MFU = the first per second / the second).
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "train/compute_account.h"

namespace remix::bench {

inline double step_flops(const model::TransformerOptions& o, std::int64_t tokens, double mean_len) {
  return train::frozen_step_flops(o, static_cast<double>(tokens), mean_len);
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
