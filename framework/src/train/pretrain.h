// Pretraining the built-in base model (`base.source: pretrain`): next-token prediction on the tasks'
// pretraining documents, packed into one token stream (BOS doc EOS BOS doc EOS ...) from which each step takes
// random windows of the context length, as llama2.c trains. AdamW, linear warmup then cosine decay, gradient
// clipping; deterministic under its seed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/tokenizer.h"
#include "model/transformer.h"

namespace remix::train {

struct PretrainOptions {
  std::int64_t steps = 2000, batch_size = 32, warmup_steps = 100, log_every = 50;
  double lr = 3e-3, weight_decay = 0.1, grad_clip = 1.0;
  std::uint64_t seed = 1234;
};

// Called every log_every steps and at the last: (step, loss, tokens per second).
using PretrainLog = std::function<void(std::int64_t, double, double)>;

// Throws DataError when the documents hold fewer tokens than one window, std::runtime_error on a NaN loss.
// Polls InterruptGuard between steps and throws Interrupted when a signal arrived.
void pretrain(model::Transformer& model, const model::Tokenizer& tokenizer, const std::vector<std::string>& documents,
              const PretrainOptions& options, const PretrainLog& log);

}  // namespace remix::train
