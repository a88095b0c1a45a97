// Building blocks shared by router plugins (header-only, part of the SDK): masked pooling and sums, top-k
// with ties broken towards the lower expert index, Gumbel-top-k sampling without replacement, and the log
// probability of an ordered draw without replacement (docs/architecture.md §4). Each is written once here so that every
// router computes them the same way, and numerically safely (no NaN for ±1e4 inputs or all-masked rows).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <limits>

namespace remix::routing {

// The k highest-scoring indices along the last dimension, best first; equal scores go to the lower index.
inline torch::Tensor topk_lower_index(const torch::Tensor& scores, std::int64_t k) {
  // A stable descending sort keeps equal elements in index order, which torch::topk does not promise.
  auto order = std::get<1>(torch::sort(scores, /*stable=*/true, /*dim=*/-1, /*descending=*/true));
  return order.narrow(-1, 0, k).contiguous();
}

// k distinct indices drawn without replacement from softmax(logits) along the last dimension, in draw order
// (Gumbel-top-k: the order of logits + Gumbel noise is the order of successive draws). Uses torch's
// default generator, so torch::manual_seed makes it reproducible.
inline torch::Tensor gumbel_topk(const torch::Tensor& logits, std::int64_t k) {
  // Uniforms in double so the Gumbel tails are not cut at float32's 2^-24 granularity.
  auto gumbel = torch::rand(logits.sizes(), logits.options().dtype(torch::kDouble))
                    .clamp_min_(std::numeric_limits<double>::min())
                    .log_()
                    .neg_()
                    .log_()
                    .neg_();  // -log(-log(u)), in place
  return std::get<1>(gumbel.add_(logits.detach()).topk(k, -1));
}

// log Q(e_1..e_k) = Σ_j [ z_{e_j} − logsumexp(z over the experts not drawn before j) ]: the log probability
// of drawing `experts` [..., k] in this order without replacement from softmax(logits [..., n]).
inline torch::Tensor log_prob_without_replacement(const torch::Tensor& logits, const torch::Tensor& experts) {
  auto chosen = logits.gather(-1, experts);
  auto remaining = logits;
  auto total = torch::zeros_like(chosen.select(-1, 0));
  const auto k = experts.size(-1);
  for (std::int64_t j = 0; j < k; ++j) {
    total = total + chosen.select(-1, j) - remaining.logsumexp(-1);
    // Drawn experts leave the pool: -inf contributes exp(-inf) = 0 to later normalisers (and zero gradient).
    if (j + 1 < k)
      remaining = remaining.scatter(-1, experts.narrow(-1, j, 1), -std::numeric_limits<double>::infinity());
  }
  return total;
}

// Σ over tokens t with mask[b,t] of values[b,t] -> [B]. Masked entries are dropped, not multiplied by zero,
// so an infinite value there cannot turn the sum into NaN.
inline torch::Tensor masked_sum(const torch::Tensor& values, const torch::Tensor& mask) {
  return torch::where(mask, values, torch::zeros_like(values)).sum(1);
}

// Mean of x [B,T,D] over the tokens with mask[b,t] -> [B,D]; a row without such a token gives zeros.
inline torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& mask) {
  auto m = mask.unsqueeze(-1);
  auto count = m.sum(1).clamp_min(1).to(x.dtype());
  return torch::where(m, x, torch::zeros_like(x)).sum(1) / count;
}

}  // namespace remix::routing
