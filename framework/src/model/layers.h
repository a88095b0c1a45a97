// The building blocks of the Llama-style decoder (docs/architecture.md §6): RMSNorm, rotary position embedding
// (adjacent pairs as llama2.c, or halves as Hugging Face), grouped-query causal attention with an optional KV cache, the SwiGLU
// feed-forward, and the pre-norm transformer block. Each projection runs through the sub-block's adapter
// slot (adapter_slot.h) when an adapter is attached.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "model/adapter_slot.h"
#include "model/transformer_options.h"

namespace remix::model {

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(std::int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

// cos/sin of every position's rotation angles, gathered for a batch of position ids.
class RotaryEmbedding {
 public:
  // Pair i turns at theta^(-2i/head_dim) (Llama-3 scaled when `scaling.factor` > 0).
  RotaryEmbedding(std::int64_t head_dim, std::int64_t max_seq_len, double theta, const Llama3RopeScaling& scaling = {});
  // positions [B,T] int64 -> (cos, sin), each [B,T,1,head_dim/2], on the device of `positions`.
  std::pair<torch::Tensor, torch::Tensor> at(const torch::Tensor& positions);
  // Rotates each pair (x0, x1) of x [B,T,H,head_dim] -> (x0 cos - x1 sin, x0 sin + x1 cos); the pairs are adjacent
  // dimensions (Interleaved) or dimension i with i + head_dim/2 (Half).
  static torch::Tensor rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                              RopeStyle style);
  // The frequency of each pair, [head_dim/2] double (exposed for the Llama-3 scaling test).
  static torch::Tensor frequencies(std::int64_t head_dim, double theta, const Llama3RopeScaling& scaling);

 private:
  torch::Tensor cos_, sin_;  // [max_seq_len, head_dim/2]
};

// What every block of one forward shares: rotary tables for its positions, which keys each query may see,
// the KV-cache column the call starts at, and the routing context.
struct BlockInputs {
  torch::Tensor cos, sin;  // [B,T,1,head_dim/2], or [N,1,head_dim/2] for packed rows
  torch::Tensor allowed;   // [B,1,1,T,L] bool: query t may attend to key column j (causal, non-padding)
  std::int64_t start = 0;  // first KV-cache column of this call's tokens
  const RoutingContext* routing = nullptr;
};

// Keys and values of one layer for a generation: [B, n_kv_heads, capacity, head_dim].
struct LayerCache {
  torch::Tensor k, v;
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const TransformerOptions& opt);
  // x [B,T,D] (already normalised). With a cache, this call's keys/values are written at columns
  // [start, start+T) and the queries attend to columns [0, start+T).
  // With in.routing->packed, x is [N,D] rows and attention runs per group of rows (packed_rows.h); no cache then.
  torch::Tensor forward(const torch::Tensor& x, const BlockInputs& in, LayerCache* cache);
  void set_adapter(std::shared_ptr<SubBlockAdapter> adapter);

  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};

 private:
  torch::Tensor forward_packed(const torch::Tensor& x, const BlockInputs& in);
  // Rotated queries [B,T,H,hd] over keys and values [B,KV,L,hd], `allowed` [B,1,1,T,L] -> [B,T,H·hd].
  torch::Tensor attend(const torch::Tensor& qh, const torch::Tensor& keys, const torch::Tensor& values,
                       const torch::Tensor& allowed) const;
  std::int64_t n_heads_, n_kv_heads_, head_dim_;
  RopeStyle rope_style_;
  std::shared_ptr<SubBlockAdapter> adapter_;
};
TORCH_MODULE(Attention);

class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const TransformerOptions& o);
  torch::Tensor forward(const torch::Tensor& x, const RoutingContext& ctx);  // down(silu(gate x) * up x)
  void set_adapter(std::shared_ptr<SubBlockAdapter> adapter);

  torch::nn::Linear gate{nullptr}, up{nullptr}, down{nullptr};

 private:
  std::shared_ptr<SubBlockAdapter> adapter_;
};
TORCH_MODULE(FeedForward);

class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerOptions& o);
  torch::Tensor forward(const torch::Tensor& x, const BlockInputs& in, LayerCache* cache);

  RMSNorm attn_norm{nullptr}, ffn_norm{nullptr};
  Attention attn{nullptr};
  FeedForward ffn{nullptr};
};
TORCH_MODULE(TransformerBlock);

// The adapter slot's projection call: the adapter's output when one is attached, else the frozen linear's.
torch::Tensor project_through(const std::shared_ptr<SubBlockAdapter>& adapter, Projection p, torch::nn::Linear& lin,
                              const torch::Tensor& x, const RoutingContext& ctx);

}  // namespace remix::model
