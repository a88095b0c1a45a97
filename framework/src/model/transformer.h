// The Llama-style decoder (docs/architecture.md §6): token embedding, n pre-norm blocks (grouped-query causal attention
// with rotary positions, SwiGLU FFN), a final RMSNorm and a tied or untied output head.
//
// forward(tokens, routing, cache) handles padded batches: `routing.valid_mask` marks real tokens, each row's
// positions count only its real tokens (so left and right padding give the same logits as no padding) and
// padding keys are never attended to. With a KV cache the call appends to it (generation).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/adapter_slot.h"
#include "model/kv_cache.h"
#include "model/layers.h"
#include "model/transformer_options.h"

namespace remix::model {

class TransformerImpl : public torch::nn::Module {
 public:
  explicit TransformerImpl(const TransformerOptions& options);

  // tokens [B,T] int64 -> logits [B,T,vocab]. Throws ConfigError naming model.max_seq_len when the sequence
  // (with the cache's earlier columns) is longer than the context.
  torch::Tensor forward(const torch::Tensor& tokens, const RoutingContext& routing, KVCache* cache = nullptr);
  torch::Tensor forward(const torch::Tensor& tokens) { return forward(tokens, RoutingContext{}); }

  const TransformerOptions& options() const { return options_; }
  // Where its weights are (Module::to moves them all): where its inputs go.
  torch::Device device() const { return embed->weight.device(); }
  std::size_t num_blocks() const { return layers->size(); }
  TransformerBlockImpl& block(std::size_t i) { return *layers->ptr<TransformerBlockImpl>(i); }
  // Every parameter of the base model (embedding, blocks, norms, head), not those of attached adapters.
  std::vector<torch::Tensor> base_parameters();
  // Sets requires_grad = false on every base parameter.
  void freeze_base();
  // Stores the frozen weight matrices (embedding, projections, head; not norms or biases) in `dtype`, computed in
  // float32 where used (model/frozen_weights.h). Call after freeze_base.
  void store_frozen_matrices_as(torch::Dtype dtype);

  torch::nn::Embedding embed{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
  torch::nn::Linear head{nullptr};  // null when the head is tied to the embedding

 private:
  void init_weights();
  TransformerOptions options_;
  RotaryEmbedding rope_;
  std::vector<torch::Tensor> base_parameters_;
};
TORCH_MODULE(Transformer);

}  // namespace remix::model
