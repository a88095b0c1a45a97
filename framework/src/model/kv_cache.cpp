// The generation KV cache (see kv_cache.h).
#include "model/kv_cache.h"

#include <fmt/format.h>

#include <stdexcept>

namespace remix::model {

KVCache::KVCache(const TransformerOptions& model, std::int64_t batch, std::int64_t capacity,
                 const torch::TensorOptions& options) {
  for (std::int64_t i = 0; i < model.n_layers(); ++i)
    layers_.push_back({torch::zeros({batch, model.n_kv_heads(), capacity, model.head_dim()}, options),
                       torch::zeros({batch, model.n_kv_heads(), capacity, model.head_dim()}, options)});
  key_valid_ = torch::zeros({batch, capacity}, options.dtype(torch::kBool));
  next_position_ = torch::zeros({batch}, options.dtype(torch::kLong));
}

torch::Tensor KVCache::reserve(const torch::Tensor& valid) {
  const auto T = valid.size(1);
  if (valid.size(0) != batch() || length_ + T > capacity())
    throw std::invalid_argument(fmt::format("KV cache of {} rows x {} columns ({} used) cannot take [{}, {}] tokens",
                                            batch(), capacity(), length_, valid.size(0), T));
  key_valid_.narrow(1, length_, T).copy_(valid);
  return key_valid_.narrow(1, 0, length_ + T);
}

void KVCache::commit(const torch::Tensor& valid) {
  next_position_ += valid.sum(1);
  length_ += valid.size(1);
}

}  // namespace remix::model
