// The key/value cache of one batched generation: per layer, the keys and values of every column written so
// far; per row, which columns are real tokens (padding is never attended to) and the position the row's next
// real token takes; and each routing site's per-generation state (remix::RouteInput::state).
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "model/layers.h"
#include "model/transformer_options.h"

namespace remix::model {

class KVCache {
 public:
  // Room for `capacity` columns of `batch` rows, on the device / dtype of `options`.
  KVCache(const TransformerOptions& model, std::int64_t batch, std::int64_t capacity,
          const torch::TensorOptions& options = torch::TensorOptions().dtype(torch::kFloat));

  std::int64_t batch() const { return key_valid_.size(0); }
  std::int64_t capacity() const { return key_valid_.size(1); }
  std::int64_t length() const { return length_; }  // columns written
  LayerCache& layer(std::size_t i) { return layers_.at(i); }
  torch::Tensor key_valid() const { return key_valid_.narrow(1, 0, length_); }  // [B, length] bool
  const torch::Tensor& next_position() const { return next_position_; }         // [B] int64
  std::map<std::string, torch::Tensor>& router_state() { return router_state_; }

  // Records that the next T columns hold tokens whose validity is `valid` [B,T]; returns the key-valid mask
  // of columns [0, length + T) for the call that writes them. `commit` then moves `length` past them.
  torch::Tensor reserve(const torch::Tensor& valid);
  void commit(const torch::Tensor& valid);

 private:
  std::vector<LayerCache> layers_;
  torch::Tensor key_valid_, next_position_;
  std::int64_t length_ = 0;
  std::map<std::string, torch::Tensor> router_state_;
};

}  // namespace remix::model
