// The shape and hyper-parameters of the Llama-style decoder (docs/architecture.md §6), as an options builder in the
// pytorch/examples style, with conversions from the resolved config (`model.*` keys) and to/from the JSON
// embedded in remix checkpoints.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace remix::config {
class ResolvedConfig;
}

namespace remix::model {

// Which pairs of a head's dimensions a rotary embedding turns together: adjacent ones (2i, 2i+1), as llama2.c and
// llama.cpp's Llama layout do, or the two halves (i, i + head_dim/2), as Hugging Face's Llama/Qwen2/Mistral do.
enum class RopeStyle { Interleaved, Half };

// Llama-3's rope_scaling (type "llama3"): low frequencies divided by `factor`, high ones kept, a smooth ramp
// between. factor == 0 means no scaling.
struct Llama3RopeScaling {
  double factor = 0, low_freq_factor = 1, high_freq_factor = 4;
  std::int64_t original_max_position_embeddings = 8192;
};

struct TransformerOptions {
  TORCH_ARG(std::int64_t, vocab_size) = 259;
  TORCH_ARG(std::int64_t, dim) = 128;
  TORCH_ARG(std::int64_t, n_layers) = 4;
  TORCH_ARG(std::int64_t, n_heads) = 4;
  TORCH_ARG(std::int64_t, n_kv_heads) = 4;
  TORCH_ARG(std::int64_t, ffn_dim) = 344;
  TORCH_ARG(std::int64_t, max_seq_len) = 96;
  TORCH_ARG(double, norm_eps) = 1e-5;
  TORCH_ARG(double, rope_theta) = 10000.0;
  TORCH_ARG(bool, tie_embeddings) = true;
  // What real checkpoints add (Hugging Face / GGUF models); the defaults are the built-in and llama2.c models'.
  TORCH_ARG(std::int64_t, head_dim_override) = 0;  // 0: dim / n_heads
  TORCH_ARG(RopeStyle, rope_style) = RopeStyle::Interleaved;
  TORCH_ARG(bool, attention_bias) = false;  // q, k, v carry biases (Qwen2)
  TORCH_ARG(Llama3RopeScaling, rope_scaling) = {};

 public:
  std::int64_t head_dim() const { return head_dim_override_ > 0 ? head_dim_override_ : dim_ / n_heads_; }
  std::int64_t kv_dim() const { return head_dim() * n_kv_heads_; }
  std::int64_t q_dim() const { return head_dim() * n_heads_; }

  // Throws ConfigError naming the `model.*` key when the shape is impossible (dim not divisible by n_heads,
  // n_heads not a multiple of n_kv_heads, odd head dimension).
  void validate() const;
};

// The `model.*` keys of a resolved config; the vocabulary size comes from the tokenizer.
TransformerOptions transformer_options_from(const config::ResolvedConfig& cfg, std::int64_t vocab_size);

// {"vocab_size": ..., "dim": ..., ...}: the same names as the config's model.* keys.
nlohmann::json to_json(const TransformerOptions& o);
TransformerOptions transformer_options_from_json(const nlohmann::json& j);

}  // namespace remix::model
