// Reading llama2.c legacy checkpoints into a Transformer (see llama2c.h).
#include "model/llama2c.h"

#include <fmt/format.h>

#include <cstdlib>

#include "model/binary_file.h"
#include "model/bpe_tokenizer.h"
#include "remix/errors.h"

namespace remix::model {

namespace {

constexpr std::uint32_t kVersionedMagic = 0x616b3432;  // "ak42": export.py --version 1 and 2

struct Header {
  TransformerOptions options;
  std::int64_t floats = 0;  // float32 values after the header
};

Header parse_header(BinaryFile& f) {
  const std::string& path = f.path();
  std::int32_t v[7];
  const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; ++i) {
    v[i] = f.read_i32(fmt::format("the header ({})", names[i]));
    if (i == 0 && static_cast<std::uint32_t>(v[0]) == kVersionedMagic)
      throw DataError(
          fmt::format("{}: this is a versioned llama2.c export (magic 'ak42'); remix reads the legacy "
                      "float32 format written by export.py --version 0",
                      path));
  }
  const std::int64_t dim = v[0], hidden = v[1], layers = v[2], heads = v[3], kv_heads = v[4], seq = v[6];
  const std::int64_t vocab = std::abs(static_cast<std::int64_t>(v[5]));
  auto header_text = fmt::format("dim={} hidden_dim={} n_layers={} n_heads={} n_kv_heads={} vocab_size={} seq_len={}",
                                 v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
  auto impossible = [&](const std::string& why) {
    return DataError(fmt::format("{}: impossible llama2.c header ({}): {}", path, header_text, why));
  };
  const std::int64_t limits[7] = {1 << 17, 1 << 19, 1 << 12, 1 << 12, 1 << 12, 1 << 22, 1 << 22};
  for (int i = 0; i < 7; ++i) {
    std::int64_t value = i == 5 ? vocab : v[i];
    if (value < 1 || value > limits[i]) throw impossible(fmt::format("{} must be in [1, {}]", names[i], limits[i]));
  }
  if (dim % heads != 0) throw impossible("dim is not divisible by n_heads");
  if (heads % kv_heads != 0) throw impossible("n_heads is not a multiple of n_kv_heads");
  if ((dim / heads) % 2 != 0) throw impossible("the head dimension dim/n_heads is odd");

  Header h;
  h.options.vocab_size(vocab)
      .dim(dim)
      .ffn_dim(hidden)
      .n_layers(layers)
      .n_heads(heads)
      .n_kv_heads(kv_heads)
      .max_seq_len(seq)
      .norm_eps(1e-5)
      .rope_theta(10000.0)
      .tie_embeddings(v[5] > 0);
  const std::int64_t kv_dim = h.options.kv_dim(), head_dim = h.options.head_dim();
  h.floats = vocab * dim + layers * dim * 2 + layers * dim * (dim + 2 * kv_dim + dim) + layers * hidden * dim * 3 +
             dim + seq * head_dim + (h.options.tie_embeddings() ? 0 : vocab * dim);
  const auto expected = static_cast<std::uint64_t>(28 + 4 * h.floats);
  if (f.size() != expected)
    throw DataError(fmt::format("{}: {}: the header ({}) needs {} bytes, the file has {}", path,
                                f.size() < expected ? "truncated" : "longer than its header says", header_text,
                                expected, f.size()));
  return h;
}

// Reads a [L, rows, cols] array and copies layer i into target_of(i).
template <class Target>
void read_per_layer(BinaryFile& f, std::int64_t layers, std::int64_t rows, std::int64_t cols, const std::string& what,
                    Target target_of) {
  auto values = f.read_f32s(static_cast<std::size_t>(layers * rows * cols), what);
  auto all = torch::from_blob(values.data(), {layers, rows, cols}, torch::kFloat);
  for (std::int64_t i = 0; i < layers; ++i) target_of(i).copy_(rows == 1 ? all[i].view({cols}) : all[i]);
}

}  // namespace

TransformerOptions read_llama2c_header(const std::string& path) {
  BinaryFile f(path, "llama2.c checkpoint");
  return parse_header(f).options;
}

Transformer load_llama2c(const std::string& path) {
  BinaryFile f(path, "llama2.c checkpoint");
  const auto h = parse_header(f);
  const auto& o = h.options;
  Transformer model(o);
  torch::NoGradGuard no_grad;
  const auto L = o.n_layers(), D = o.dim(), F = o.ffn_dim(), KV = o.kv_dim();
  auto block = [&](std::int64_t i) -> TransformerBlockImpl& { return model->block(static_cast<std::size_t>(i)); };
  auto read_into = [&](torch::Tensor target, const std::string& what) {
    auto values = f.read_f32s(static_cast<std::size_t>(target.numel()), what);
    target.copy_(torch::from_blob(values.data(), target.sizes(), torch::kFloat));
  };
  read_into(model->embed->weight, "token_embedding_table");
  read_per_layer(f, L, 1, D, "rms_att_weight", [&](auto i) { return block(i).attn_norm->weight; });
  read_per_layer(f, L, D, D, "wq", [&](auto i) { return block(i).attn->q->weight; });
  read_per_layer(f, L, KV, D, "wk", [&](auto i) { return block(i).attn->k->weight; });
  read_per_layer(f, L, KV, D, "wv", [&](auto i) { return block(i).attn->v->weight; });
  read_per_layer(f, L, D, D, "wo", [&](auto i) { return block(i).attn->o->weight; });
  read_per_layer(f, L, 1, D, "rms_ffn_weight", [&](auto i) { return block(i).ffn_norm->weight; });
  read_per_layer(f, L, F, D, "w1", [&](auto i) { return block(i).ffn->gate->weight; });
  read_per_layer(f, L, D, F, "w2", [&](auto i) { return block(i).ffn->down->weight; });
  read_per_layer(f, L, F, D, "w3", [&](auto i) { return block(i).ffn->up->weight; });
  read_into(model->norm->weight, "rms_final_weight");
  f.skip(static_cast<std::size_t>(o.max_seq_len() * o.head_dim() * 4), "freq_cis_real and freq_cis_imag");
  if (!o.tie_embeddings()) read_into(model->head->weight, "wcls");
  return model;
}

}  // namespace remix::model
