// Building blocks shared by router plugins (header-only, part of the SDK): masked pooling and sums, top-k
// with ties broken towards the lower expert index, Gumbel-top-k sampling without replacement (on keyed,
// batch-independent noise when the host gives keys), and the log
// probability of an ordered draw without replacement (docs/architecture.md §4). Each is written once here so that every
// router computes them the same way, and numerically safely (no NaN for ±1e4 inputs or all-masked rows).
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

namespace remix::routing {

// The k highest-scoring indices along the last dimension, best first; equal scores go to the lower index.
inline torch::Tensor topk_lower_index(const torch::Tensor& scores, std::int64_t k) {
  // A stable descending sort keeps equal elements in index order, which torch::topk does not promise.
  auto order = std::get<1>(torch::sort(scores, /*stable=*/true, /*dim=*/-1, /*descending=*/true));
  return order.narrow(-1, 0, k).contiguous();
}

namespace detail {
// x·c mod 2^32 for x in [0, 2^32), in int64 arithmetic that never overflows (c split into 16-bit halves).
inline torch::Tensor mul_mod32(const torch::Tensor& x, std::uint32_t c) {
  const auto lo = static_cast<std::int64_t>(c & 0xffffu), hi = static_cast<std::int64_t>(c >> 16);
  return (x * lo + (x * hi).bitwise_and(0xffff) * 65536).bitwise_and(static_cast<std::int64_t>(0xffffffff));
}
// MurmurHash3's 32-bit finaliser (a bijection of [0, 2^32) with full avalanche), element-wise.
inline torch::Tensor fmix32(torch::Tensor h) {
  h = h.bitwise_xor(torch::bitwise_right_shift(h, 16));
  h = mul_mod32(h, 0x85ebca6bu);
  h = h.bitwise_xor(torch::bitwise_right_shift(h, 13));
  h = mul_mod32(h, 0xc2b2ae35u);
  return h.bitwise_xor(torch::bitwise_right_shift(h, 16));
}
}  // namespace detail

// Uniform doubles in [0, 1) of shape `sizes` = [B, ...] from a counter-based hash: element i of row b is a
// function of keys[b] (int64, on any device) and i alone. So a row's draws do not depend on which other rows share
// its batch, how long the batch is padded (right padding extends a row's counter range), which data-parallel rank
// computes it, or the device: what lets a trial give the same routing samples on 1 or N ranks.
inline torch::Tensor keyed_uniform(const torch::Tensor& keys, at::IntArrayRef sizes) {
  TORCH_CHECK(keys.dim() == 1 && !sizes.empty() && keys.size(0) == sizes[0], "keyed_uniform: one key per row");
  std::vector<std::int64_t> key_shape(sizes.size(), 1), counter_shape(sizes.begin(), sizes.end());
  key_shape[0] = sizes[0];
  counter_shape[0] = 1;
  std::int64_t per_row = 1;
  for (std::size_t i = 1; i < sizes.size(); ++i) per_row *= sizes[i];
  TORCH_CHECK(per_row < (std::int64_t{1} << 30), "keyed_uniform: rows of at most 2^30 elements");
  const auto low32 = static_cast<std::int64_t>(0xffffffff);
  auto k = keys.to(torch::kLong).view(key_shape);
  auto key_lo = k.bitwise_and(low32), key_hi = torch::bitwise_right_shift(k, 32).bitwise_and(low32);
  auto counter = torch::arange(per_row, keys.options().dtype(torch::kLong)).view(counter_shape) * 2;
  auto word = [&](const torch::Tensor& c) {
    return detail::fmix32(key_hi.bitwise_xor(detail::fmix32(key_lo.bitwise_xor(detail::fmix32(c)))));
  };
  auto high = torch::bitwise_right_shift(word(counter), 6), low = torch::bitwise_right_shift(word(counter + 1), 5);
  return (high * 134217728 + low).to(torch::kDouble).div_(9007199254740992.0);  // 26 + 27 bits over 2^53
}

// k distinct indices drawn without replacement from softmax(logits) along the last dimension, in draw order
// (Gumbel-top-k: the order of logits + Gumbel noise is the order of successive draws). With `keys` ([B], the
// host's RouteInput::noise_keys) the noise comes from keyed_uniform, row by row; without, from torch's default
// generator, so torch::manual_seed makes it reproducible.
inline torch::Tensor gumbel_topk(const torch::Tensor& logits, std::int64_t k, const torch::Tensor& keys = {}) {
  // Uniforms in double so the Gumbel tails are not cut at float32's 2^-24 granularity.
  auto uniform = keys.defined() ? keyed_uniform(keys.to(logits.device()), logits.sizes())
                                : torch::rand(logits.sizes(), logits.options().dtype(torch::kDouble));
  auto gumbel = uniform.clamp_min_(std::numeric_limits<double>::min())
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

// log P({e_1..e_k}) = log Σ over the k! orders of Q(order): the log probability of drawing this set of experts, in
// any order, without replacement from softmax(logits). When what is computed depends on the set alone (ReMix: every
// chosen expert weighs the same ω), scoring the set is as unbiased as scoring the order, and less noisy: its score
// function is the order's averaged over the orders of the set (a Rao-Blackwellisation). k! terms: for small k.
inline torch::Tensor log_prob_of_set(const torch::Tensor& logits, const torch::Tensor& experts) {
  const auto k = experts.size(-1);
  std::vector<std::int64_t> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::vector<torch::Tensor> terms;
  do {
    auto columns = torch::tensor(order, torch::dtype(torch::kLong).device(experts.device()));
    terms.push_back(log_prob_without_replacement(logits, experts.index_select(-1, columns)));
  } while (std::next_permutation(order.begin(), order.end()));
  return torch::stack(terms, -1).logsumexp(-1);
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
