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
  if (head_dim_override_ == 0 && dim_ % n_heads_ != 0)
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
  nlohmann::json j = {{"vocab_size", o.vocab_size()},   {"dim", o.dim()},
          {"n_layers", o.n_layers()},       {"n_heads", o.n_heads()},
          {"n_kv_heads", o.n_kv_heads()},   {"ffn_dim", o.ffn_dim()},
          {"max_seq_len", o.max_seq_len()}, {"norm_eps", o.norm_eps()},
          {"rope_theta", o.rope_theta()},   {"tie_embeddings", o.tie_embeddings()}};
  // Only what differs from the built-in model, so the JSON of existing checkpoints (and their cache keys) stays.
  if (o.head_dim_override() > 0) j["head_dim"] = o.head_dim_override();
  if (o.rope_style() == RopeStyle::Half) j["rope_style"] = "half";
  if (o.attention_bias()) j["attention_bias"] = true;
  if (o.rope_scaling().factor > 0)
    j["rope_scaling"] = {{"type", "llama3"},
                         {"factor", o.rope_scaling().factor},
                         {"low_freq_factor", o.rope_scaling().low_freq_factor},
                         {"high_freq_factor", o.rope_scaling().high_freq_factor},
                         {"original_max_position_embeddings", o.rope_scaling().original_max_position_embeddings}};
  return j;
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
      .tie_embeddings(j.at("tie_embeddings").get<bool>())
      .head_dim_override(j.value("head_dim", std::int64_t{0}))
      .rope_style(j.value("rope_style", std::string("interleaved")) == "half" ? RopeStyle::Half
                                                                             : RopeStyle::Interleaved)
      .attention_bias(j.value("attention_bias", false));
  if (j.contains("rope_scaling")) {
    const auto& r = j["rope_scaling"];
    o.rope_scaling({r.at("factor").get<double>(), r.at("low_freq_factor").get<double>(),
                    r.at("high_freq_factor").get<double>(),
                    r.at("original_max_position_embeddings").get<std::int64_t>()});
  }
  return o;
}

}  // namespace remix::model
