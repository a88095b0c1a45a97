// What a trial's training cost, so that routers can be compared at equal compute as well as at equal steps (ReMix's
// M routing replicas make each of its steps M forward/backward passes of the batch). Counted per step and kept
// cumulative across resumes (in the checkpoint):
//   tokens:  real tokens through a training forward and backward, replicas included;
//   flops:   the model's estimated work for them: every frozen matrix forward and input-gradient (4 FLOPs per
//            weight and token), attention scores and mixing (4·T·d per layer forward, twice that backward, T the
//            mean real length), and the adapters' active LoRA parameters forward and backward (6 per parameter and
//            token; a dense router's every head). Router logits and elementwise work are left out.
//   seconds: wall time of the training steps (evaluations and checkpoints excluded).
// Recorded as compute/{tokens,flops,seconds} at log steps and final/compute/... at the end.
#pragma once

#include <cstdint>

#include "model/transformer_options.h"

namespace remix::train {

// FLOPs of one training step of the frozen base for `tokens` real tokens of mean length `mean_len`, without adapters
// (what the benchmarks' MFU counts as useful work).
double frozen_step_flops(const model::TransformerOptions& o, double tokens, double mean_len);

struct ComputeAccount {
  double tokens = 0, flops = 0, seconds = 0;

  // Adds a step of `tokens` real tokens (replicas included) in `rows` rows, with `active_lora` LoRA parameters acting
  // on each token.
  void add_step(const model::TransformerOptions& o, std::int64_t tokens, std::int64_t rows, std::int64_t active_lora,
                double seconds);
};

}  // namespace remix::train
