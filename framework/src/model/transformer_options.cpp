// Transformer options: validation and conversions (see transformer_options.h).
#include "model/transformer_options.h"

#include <fmt/format.h>

#include "config/resolved_config.h"
#include "remix/errors.h"

namespace remix::model {

void TransformerOptions::validate() const {
  auto fail = [](const std::string& key, const std::string& why) {
    throw ConfigError(fmt::format("model.{}: {}", key, why));
  };
  if (vocab_size_ < 1) fail("vocab_size", fmt::format("must be at least 1, got {}", vocab_size_));
  if (dim_ < 1 || n_layers_ < 1 || n_heads_ < 1 || n_kv_heads_ < 1 || ffn_dim_ < 1 || max_seq_len_ < 1)
    fail("dim", fmt::format("dim, n_layers, n_heads, n_kv_heads, ffn_dim and max_seq_len must be positive, got "
                            "{}, {}, {}, {}, {}, {}",
                            dim_, n_layers_, n_heads_, n_kv_heads_, ffn_dim_, max_seq_len_));
  if (dim_ % n_heads_ != 0)
    fail("n_heads", fmt::format("model.dim={} is not divisible by model.n_heads={}", dim_, n_heads_));
  if (n_heads_ % n_kv_heads_ != 0)
    fail("n_kv_heads", fmt::format("model.n_heads={} is not a multiple of model.n_kv_heads={}", n_heads_, n_kv_heads_));
  if (head_dim() % 2 != 0)
    fail("n_heads",
         fmt::format("the head dimension model.dim/model.n_heads = {} must be even for rotary embeddings", head_dim()));
}

TransformerOptions transformer_options_from(const config::ResolvedConfig& cfg, std::int64_t vocab_size) {
  TransformerOptions o;
  o.vocab_size(vocab_size)
      .dim(cfg.get_int("model.dim"))
      .n_layers(cfg.get_int("model.n_layers"))
      .n_heads(cfg.get_int("model.n_heads"))
      .n_kv_heads(cfg.get_int("model.n_kv_heads"))
      .ffn_dim(cfg.get_int("model.ffn_dim"))
      .max_seq_len(cfg.get_int("model.max_seq_len"))
      .norm_eps(cfg.get_float("model.norm_eps"))
      .rope_theta(cfg.get_float("model.rope_theta"))
      .tie_embeddings(cfg.get_bool("model.tie_embeddings"));
  o.validate();
  return o;
}

nlohmann::json to_json(const TransformerOptions& o) {
  return {{"vocab_size", o.vocab_size()},   {"dim", o.dim()},
          {"n_layers", o.n_layers()},       {"n_heads", o.n_heads()},
          {"n_kv_heads", o.n_kv_heads()},   {"ffn_dim", o.ffn_dim()},
          {"max_seq_len", o.max_seq_len()}, {"norm_eps", o.norm_eps()},
          {"rope_theta", o.rope_theta()},   {"tie_embeddings", o.tie_embeddings()}};
}

TransformerOptions transformer_options_from_json(const nlohmann::json& j) {
  TransformerOptions o;
  o.vocab_size(j.at("vocab_size").get<std::int64_t>())
      .dim(j.at("dim").get<std::int64_t>())
      .n_layers(j.at("n_layers").get<std::int64_t>())
      .n_heads(j.at("n_heads").get<std::int64_t>())
      .n_kv_heads(j.at("n_kv_heads").get<std::int64_t>())
      .ffn_dim(j.at("ffn_dim").get<std::int64_t>())
      .max_seq_len(j.at("max_seq_len").get<std::int64_t>())
      .norm_eps(j.at("norm_eps").get<double>())
      .rope_theta(j.at("rope_theta").get<double>())
      .tie_embeddings(j.at("tie_embeddings").get<bool>());
  return o;
}

}  // namespace remix::model
