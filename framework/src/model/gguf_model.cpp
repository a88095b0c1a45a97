// GGUF models (see gguf_model.h).
#include "model/gguf_model.h"

#include <fmt/format.h>

#include <set>

#include "common/text.h"
#include "model/weight_loading.h"
#include "remix/errors.h"

namespace remix::model {

namespace {

std::string gguf_name(const BaseTensor& t) {
  if (t.layer < 0) {
    if (t.what == "embed") return "token_embd.weight";
    if (t.what == "norm") return "output_norm.weight";
    return "output.weight";
  }
  static const std::map<std::string, std::string> names = {
      {"attn_norm", "attn_norm.weight"}, {"ffn_norm", "ffn_norm.weight"}, {"q.weight", "attn_q.weight"},
      {"q.bias", "attn_q.bias"},         {"k.weight", "attn_k.weight"},   {"k.bias", "attn_k.bias"},
      {"v.weight", "attn_v.weight"},     {"v.bias", "attn_v.bias"},       {"o.weight", "attn_output.weight"},
      {"gate.weight", "ffn_gate.weight"}, {"up.weight", "ffn_up.weight"}, {"down.weight", "ffn_down.weight"}};
  return fmt::format("blk.{}.{}", t.layer, names.at(t.what));
}

}  // namespace

torch::Tensor unpermute_llama_rows(const torch::Tensor& w, std::int64_t heads) {
  // The converter wrote, per head, rows [0, 2, 4, ..., 1, 3, 5, ...] of the HF half-split layout interleaved;
  // reading it as [heads, head_dim/2, 2] and swapping the last two axes restores the halves.
  auto shape = w.sizes().vec();
  auto rest = std::vector<std::int64_t>(shape.begin() + 1, shape.end());
  std::vector<std::int64_t> split = {heads, shape[0] / heads / 2, 2};
  split.insert(split.end(), rest.begin(), rest.end());
  return w.reshape(split).transpose(1, 2).reshape(shape).contiguous();
}

TransformerOptions gguf_transformer_options(const GgufFile& f) {
  const auto arch = f.get_string("general.architecture");
  if (arch != "llama" && arch != "qwen2")
    throw DataError(fmt::format("{}: general.architecture '{}' is not supported (remix runs llama and qwen2)",
                                f.path(), arch));
  auto key = [&](const std::string& k) { return arch + "." + k; };
  if (f.find_tensor("rope_freqs.weight"))
    throw DataError(fmt::format("{}: the file carries rope_freqs (Llama-3.1 rope scaling), which remix reads only "
                                "from a Hugging Face config.json: use base.source: hf",
                                f.path()));
  if (auto experts = f.find_uint(key("expert_count")); experts && *experts > 0)
    throw DataError(fmt::format("{}: {} = {}: mixture-of-experts base models are not supported", f.path(),
                                key("expert_count"), *experts));
  const auto* embed = f.find_tensor("token_embd.weight");
  if (!embed || embed->shape.size() != 2)
    throw DataError(fmt::format("{}: no 2-D tensor token_embd.weight", f.path()));
  const auto heads = static_cast<std::int64_t>(f.get_uint(key("attention.head_count")));
  TransformerOptions o;
  o.vocab_size(embed->shape[0])
      .dim(static_cast<std::int64_t>(f.get_uint(key("embedding_length"))))
      .ffn_dim(static_cast<std::int64_t>(f.get_uint(key("feed_forward_length"))))
      .n_layers(static_cast<std::int64_t>(f.get_uint(key("block_count"))))
      .n_heads(heads)
      .n_kv_heads(static_cast<std::int64_t>(f.find_uint(key("attention.head_count_kv")).value_or(heads)))
      .max_seq_len(static_cast<std::int64_t>(f.get_uint(key("context_length"))))
      .norm_eps(f.get_float(key("attention.layer_norm_rms_epsilon")))
      .rope_theta(f.find_float(key("rope.freq_base")).value_or(10000.0))
      .tie_embeddings(f.find_tensor("output.weight") == nullptr)
      .rope_style(RopeStyle::Half)
      .attention_bias(arch == "qwen2");
  if (auto kl = f.find_uint(key("attention.key_length"))) o.head_dim_override(static_cast<std::int64_t>(*kl));
  if (auto rd = f.find_uint(key("rope.dimension_count")); rd && static_cast<std::int64_t>(*rd) != o.head_dim())
    throw DataError(fmt::format("{}: {} = {} rotates part of each head (head dimension {}): partial rotary "
                                "embeddings are not supported",
                                f.path(), key("rope.dimension_count"), *rd, o.head_dim()));
  if (auto scaling = f.find(key("rope.scaling.type")); scaling && scaling->s != "none")
    throw DataError(fmt::format("{}: {} = '{}' is not supported", f.path(), key("rope.scaling.type"), scaling->s));
  try {
    o.validate();
  } catch (const ConfigError& e) {
    throw DataError(fmt::format("{}: the metadata describes an impossible model: {}", f.path(), e.what()));
  }
  return o;
}

Transformer load_gguf_model(const GgufFile& f) {
  const auto options = gguf_transformer_options(f);
  const bool permuted = f.get_string("general.architecture") == "llama";
  Transformer model(options);
  std::set<std::string> used;
  WeightReader reader;
  reader.shape = [&](const std::string& name) -> std::optional<std::vector<std::int64_t>> {
    const auto* t = f.find_tensor(name);
    if (!t) return std::nullopt;
    return t->shape;
  };
  reader.fill = [&](const std::string& name, torch::Tensor& target) {
    used.insert(name);
    const bool q = text::ends_with(name, ".attn_q.weight") || text::ends_with(name, ".attn_q.bias");
    const bool k = text::ends_with(name, ".attn_k.weight") || text::ends_with(name, ".attn_k.bias");
    if (permuted && (q || k)) {  // small tensors: read, then un-permute
      target.copy_(unpermute_llama_rows(f.tensor(name), q ? options.n_heads() : options.n_kv_heads()));
    } else {
      f.read_into(name, target);
    }
  };
  load_base_weights(*model, f.path(), gguf_name, reader);
  for (const auto& t : f.tensors())
    if (!used.count(t.name))
      throw DataError(fmt::format("{}: tensor '{}' belongs to no module of the {} model remix builds", f.path(), t.name,
                                  f.get_string("general.architecture")));
  return model;
}

}  // namespace remix::model
