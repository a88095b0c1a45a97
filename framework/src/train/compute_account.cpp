// Compute accounting of a training step (see compute_account.h).
#include "train/compute_account.h"

namespace remix::train {

double frozen_step_flops(const model::TransformerOptions& o, double tokens, double mean_len) {
  const double d = static_cast<double>(o.dim()), L = static_cast<double>(o.n_layers());
  const double kv = d * static_cast<double>(o.n_kv_heads()) / static_cast<double>(o.n_heads());
  const double per_layer = d * d * 2 + d * kv * 2 + 3 * d * static_cast<double>(o.ffn_dim());
  const double matrices = L * per_layer + d * static_cast<double>(o.vocab_size());
  const double attention = L * 4 * mean_len * d * 3;
  return (4 * matrices + attention) * tokens;
}

void ComputeAccount::add_step(const model::TransformerOptions& o, std::int64_t step_tokens, std::int64_t rows,
                              std::int64_t active_lora, double step_seconds) {
  const double t = static_cast<double>(step_tokens);
  const double mean_len = rows > 0 ? t / static_cast<double>(rows) : 0;
  tokens += t;
  flops += frozen_step_flops(o, t, mean_len) + 6.0 * static_cast<double>(active_lora) * t;
  seconds += step_seconds;
}

}  // namespace remix::train
