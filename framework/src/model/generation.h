// Batched generation with a KV cache (docs/architecture.md §6): greedy (temperature 0) or sampling at a temperature,
// stopping per row at EOS or after max_new_tokens (or when the context, model.max_seq_len, is full). Prompts
// of different lengths come padded, left or right, with `prompt_valid` marking their real tokens; the
// transformer's per-row positions and key masks make both paddings give the tokens each prompt would get
// alone. Routing runs in eval mode; a sequence-granularity router selects once from the prompt (prefill) and
// keeps that selection while decoding.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>

#include "model/transformer.h"

namespace remix::model {

struct GenerationOptions {
  TORCH_ARG(std::int64_t, max_new_tokens) = 48;
  TORCH_ARG(double, temperature) = 0.0;  // 0: greedy (argmax, ties to the lower id)
  TORCH_ARG(std::int64_t, eos_id) = -1;  // -1: never stop early
  TORCH_ARG(std::int64_t, pad_id) = 0;   // written after a row has stopped
};

struct Generation {
  torch::Tensor tokens;   // [B, steps] the new tokens; pad_id after a row's EOS (the EOS itself is kept)
  torch::Tensor lengths;  // [B] new tokens per row, EOS included
  torch::Tensor logits;   // [B, steps, vocab] the logits each new token was chosen from
};

// prompt [B,T] int64, prompt_valid [B,T] bool (undefined: all real). `trace`, when set, records the routing
// decisions of every step. Runs under NoGradGuard.
Generation generate(Transformer& model, const torch::Tensor& prompt, const torch::Tensor& prompt_valid,
                    const GenerationOptions& options, adapter::RoutingTrace* trace = nullptr);

}  // namespace remix::model
