// Building padded batches and per-sequence losses (see sequence_batch.h).
#include "train/sequence_batch.h"

#include <stdexcept>

#include "common/seed_mix.h"

namespace remix::train {

SequenceBatch SequenceBatch::to(const torch::Device& device) const {
  if (inputs.device() == device) return *this;
  auto r = *this;
  // From page-locked memory the copies to a GPU are queued, not waited for. The noise keys stay on the host, where
  // each routing site derives its own from them (adapter/routing_site.h).
  const bool async = device.is_cuda() && inputs.device().is_cpu();
  for (auto* t : {&r.inputs, &r.targets, &r.valid_mask, &r.prompt_mask, &r.loss_mask})
    if (t->defined()) *t = async ? t->pin_memory().to(device, /*non_blocking=*/true) : t->to(device);
  return r;
}

SequenceBatch SequenceBatch::repeat(std::int64_t times) const {
  SequenceBatch r = *this;
  r.inputs = inputs.repeat({times, 1});
  r.targets = targets.repeat({times, 1});
  r.valid_mask = valid_mask.repeat({times, 1});
  r.prompt_mask = prompt_mask.repeat({times, 1});
  r.loss_mask = loss_mask.repeat({times, 1});
  r.tokens = tokens * times;
  if (noise_keys.defined()) {
    r.noise_keys = torch::empty({times * rows()}, torch::kLong);
    auto keys = noise_keys.cpu().contiguous();
    const auto* in = keys.data_ptr<std::int64_t>();
    auto* out = r.noise_keys.data_ptr<std::int64_t>();
    for (std::int64_t m = 0; m < times; ++m)
      for (std::int64_t b = 0; b < rows(); ++b)
        out[m * rows() + b] =
            static_cast<std::int64_t>(mix_seed(static_cast<std::uint64_t>(in[b]), static_cast<std::uint64_t>(m)));
    r.noise_keys = r.noise_keys.to(noise_keys.device());
  }
  return r;
}

SequenceBatch make_batch(const model::Tokenizer& tokenizer, const std::vector<TextPair>& pairs, bool add_eos,
                         std::int64_t max_len) {
  std::vector<std::vector<std::int64_t>> seqs;
  std::vector<std::int64_t> prompt_lens;
  std::int64_t width = 1;
  for (const auto& p : pairs) {
    auto seq = tokenizer.encode(p.prompt, /*bos=*/true);
    prompt_lens.push_back(static_cast<std::int64_t>(seq.size()));
    auto cont = tokenizer.encode(p.continuation, false, add_eos);
    seq.insert(seq.end(), cont.begin(), cont.end());
    auto inputs = static_cast<std::int64_t>(seq.size()) - 1;
    if (inputs > max_len)
      throw std::invalid_argument("sequence of " + std::to_string(inputs) + " tokens is longer than the context " +
                                  std::to_string(max_len));
    width = std::max(width, inputs);
    seqs.push_back(std::move(seq));
  }
  auto B = static_cast<std::int64_t>(seqs.size());
  auto pad = tokenizer.pad_id();
  auto inputs = torch::full({B, width}, pad, torch::kLong), targets = torch::full({B, width}, pad, torch::kLong);
  auto valid = torch::zeros({B, width}, torch::kBool), prompt = torch::zeros({B, width}, torch::kBool);
  auto loss = torch::zeros({B, width}, torch::kBool);
  auto in_a = inputs.accessor<std::int64_t, 2>(), tg_a = targets.accessor<std::int64_t, 2>();
  auto va = valid.accessor<bool, 2>(), pa = prompt.accessor<bool, 2>(), la = loss.accessor<bool, 2>();
  SequenceBatch batch;
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& s = seqs[static_cast<std::size_t>(b)];
    auto n = static_cast<std::int64_t>(s.size()) - 1;
    for (std::int64_t t = 0; t < n; ++t) {
      in_a[b][t] = s[static_cast<std::size_t>(t)];
      tg_a[b][t] = s[static_cast<std::size_t>(t + 1)];
      va[b][t] = true;
      pa[b][t] = t < prompt_lens[static_cast<std::size_t>(b)];
      // Target t is token t+1: a continuation token when t+1 is past the prompt.
      la[b][t] = t + 1 >= prompt_lens[static_cast<std::size_t>(b)];
    }
    batch.tokens += n;
  }
  batch.inputs = inputs;
  batch.targets = targets;
  batch.valid_mask = valid;
  batch.prompt_mask = prompt;
  batch.loss_mask = loss;
  return batch;
}

namespace {

torch::Tensor target_log_probs(const torch::Tensor& logits, const SequenceBatch& batch) {
  auto logp = torch::log_softmax(logits.to(torch::kFloat), -1);
  return logp.gather(-1, batch.targets.unsqueeze(-1)).squeeze(-1) * batch.loss_mask.to(logp.dtype());
}

}  // namespace

torch::Tensor sequence_losses(const torch::Tensor& logits, const SequenceBatch& batch) {
  auto counts = batch.loss_mask.sum(1).clamp_min(1).to(torch::kFloat);
  return -target_log_probs(logits, batch).sum(1) / counts;
}

torch::Tensor token_losses(const torch::Tensor& logits, const SequenceBatch& batch) {
  auto counts = batch.loss_mask.sum(1, /*keepdim=*/true).clamp_min(1).to(torch::kFloat);
  return -target_log_probs(logits, batch) / counts;
}

torch::Tensor sequence_log_likelihoods(const torch::Tensor& logits, const SequenceBatch& batch) {
  return target_log_probs(logits, batch).sum(1);
}

PromptBatch make_prompts(const model::Tokenizer& tokenizer, const std::vector<std::string>& prompts) {
  std::vector<std::vector<std::int64_t>> seqs;
  std::size_t width = 1;
  for (const auto& p : prompts) {
    seqs.push_back(tokenizer.encode(p, /*bos=*/true));
    width = std::max(width, seqs.back().size());
  }
  auto B = static_cast<std::int64_t>(seqs.size());
  PromptBatch out;
  out.tokens = torch::full({B, static_cast<std::int64_t>(width)}, tokenizer.pad_id(), torch::kLong);
  out.valid = torch::zeros({B, static_cast<std::int64_t>(width)}, torch::kBool);
  auto ta = out.tokens.accessor<std::int64_t, 2>();
  auto va = out.valid.accessor<bool, 2>();
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& s = seqs[static_cast<std::size_t>(b)];
    auto offset = static_cast<std::int64_t>(width - s.size());
    for (std::size_t t = 0; t < s.size(); ++t) {
      ta[b][offset + static_cast<std::int64_t>(t)] = s[t];
      va[b][offset + static_cast<std::int64_t>(t)] = true;
    }
  }
  return out;
}

}  // namespace remix::train
