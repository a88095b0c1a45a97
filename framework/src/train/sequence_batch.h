// Turning examples into model inputs. A training sequence is BOS, prompt, answer, EOS; the model reads all
// but the last token and predicts all but the first, and the loss counts only the predictions of answer
// tokens and EOS. Rows are right-padded with PAD; masks say which positions are real, which are prompt (for
// sequence-granularity routing), and which targets count. The same builder scores multiple-choice
// continuations (no EOS), and prompts for generation are left-padded.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/adapter_slot.h"
#include "model/tokenizer.h"

namespace remix::train {

struct SequenceBatch {
  torch::Tensor inputs;       // [B,T] int64
  torch::Tensor targets;      // [B,T] int64 (PAD where nothing is predicted)
  torch::Tensor valid_mask;   // [B,T] bool: real input tokens
  torch::Tensor prompt_mask;  // [B,T] bool: input tokens that belong to BOS + prompt
  torch::Tensor loss_mask;    // [B,T] bool: targets that are continuation tokens (answer, choice, EOS)
  torch::Tensor noise_keys;   // [B] int64 on the CPU, optional: each row's routing-noise key (training; RoutingContext)
  std::int64_t tokens = 0;    // real input tokens in the batch

  std::int64_t rows() const { return inputs.size(0); }
  // The batch's tensors on `device` (built on the CPU from text; the model may be on a GPU); noise_keys stay on the
  // CPU.
  SequenceBatch to(const torch::Device& device) const;
  // The batch repeated `times` along rows: row m·B + b is row b (the policy-gradient replication), with noise key
  // mix_seed(key of b, m) so that every replica samples its own routing.
  SequenceBatch repeat(std::int64_t times) const;
  // What a forward over this batch tells the routers: its masks, the routing mode and where to trace.
  model::RoutingContext routing(bool training, adapter::RoutingTrace* trace = nullptr) const {
    model::RoutingContext r;
    r.valid_mask = valid_mask;
    r.prompt_mask = prompt_mask;
    r.training = training;
    r.trace = trace;
    if (training) r.noise_keys = noise_keys;
    return r;
  }
};

struct TextPair {
  std::string prompt, continuation;
};

// Throws std::invalid_argument when a row is longer than max_len (callers check lengths up front).
SequenceBatch make_batch(const model::Tokenizer& tokenizer, const std::vector<TextPair>& pairs, bool add_eos,
                         std::int64_t max_len);

// Per-row mean cross-entropy over the loss_mask targets: [B]. Rows without targets give 0.
torch::Tensor sequence_losses(const torch::Tensor& logits, const SequenceBatch& batch);
// [B,T] each target's share of its sequence's loss: −log p(target) / the sequence's count of targets at the
// positions the loss counts, 0 elsewhere; a row sums to sequence_losses' entry.
torch::Tensor token_losses(const torch::Tensor& logits, const SequenceBatch& batch);
// Per-row sum of the log-probabilities of the loss_mask targets: [B] (choice log-likelihoods).
torch::Tensor sequence_log_likelihoods(const torch::Tensor& logits, const SequenceBatch& batch);

struct PromptBatch {
  torch::Tensor tokens;  // [B,T] BOS + prompt, left-padded with PAD
  torch::Tensor valid;   // [B,T] bool
  PromptBatch to(const torch::Device& device) const { return {tokens.to(device), valid.to(device)}; }
};
PromptBatch make_prompts(const model::Tokenizer& tokenizer, const std::vector<std::string>& prompts);

}  // namespace remix::train
