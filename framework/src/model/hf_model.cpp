// Hugging Face model folders (see hf_model.h).
#include "model/hf_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "model/safetensors.h"
#include "model/weight_loading.h"
#include "remix/errors.h"

namespace remix::model {

namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw DataError(fmt::format("{}: cannot read the {} (is base.path a Hugging Face model folder?)",
                                       path.string(), what));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
}

const char* const kArchitectures[] = {"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"};

}  // namespace

std::string hf_tensor_name(const BaseTensor& t) {
  if (t.layer < 0) {
    if (t.what == "embed") return "model.embed_tokens.weight";
    if (t.what == "norm") return "model.norm.weight";
    return "lm_head.weight";
  }
  const auto prefix = fmt::format("model.layers.{}.", t.layer);
  if (t.what == "attn_norm") return prefix + "input_layernorm.weight";
  if (t.what == "ffn_norm") return prefix + "post_attention_layernorm.weight";
  const auto dot = t.what.find('.');
  const auto proj = t.what.substr(0, dot), kind = t.what.substr(dot + 1);
  const bool attention = proj == "q" || proj == "k" || proj == "v" || proj == "o";
  return prefix + (attention ? "self_attn." : "mlp.") + proj + "_proj." + kind;
}

namespace {

HfModelConfig parse_hf_config(const std::string& dir) {
  const auto path = fs::path(dir) / "config.json";
  const auto j = read_json(path, "model config");
  auto fail = [&](const std::string& field, const std::string& why) {
    return DataError(fmt::format("{}: {}: {}", path.string(), field, why));
  };
  auto need_int = [&](const char* key) -> std::int64_t {
    if (!j.contains(key) || !j[key].is_number_integer()) throw fail(key, "missing or not an integer");
    return j[key].get<std::int64_t>();
  };
  HfModelConfig c;
  if (!j.contains("architectures") || !j["architectures"].is_array() || j["architectures"].empty())
    throw fail("architectures", "missing");
  c.architecture = j["architectures"][0].get<std::string>();
  if (std::find(std::begin(kArchitectures), std::end(kArchitectures), c.architecture) == std::end(kArchitectures))
    throw fail("architectures", fmt::format("'{}' is not supported (remix runs {})", c.architecture,
                                            fmt::join(kArchitectures, ", ")));
  const bool qwen2 = c.architecture == "Qwen2ForCausalLM";
  if (j.value("hidden_act", std::string("silu")) != "silu")
    throw fail("hidden_act", fmt::format("'{}' (remix's feed-forward is SwiGLU: silu)", j["hidden_act"].dump()));
  if (j.value("mlp_bias", false)) throw fail("mlp_bias", "true (remix's feed-forward has no biases)");
  if (j.value("pretraining_tp", 1) < 1) throw fail("pretraining_tp", "must be at least 1");

  const auto heads = need_int("num_attention_heads");
  auto& o = c.options;
  o.vocab_size(need_int("vocab_size"))
      .dim(need_int("hidden_size"))
      .ffn_dim(need_int("intermediate_size"))
      .n_layers(need_int("num_hidden_layers"))
      .n_heads(heads)
      .n_kv_heads(j.contains("num_key_value_heads") && !j["num_key_value_heads"].is_null()
                      ? need_int("num_key_value_heads")
                      : heads)
      .max_seq_len(need_int("max_position_embeddings"))
      .norm_eps(j.value("rms_norm_eps", 1e-6))
      .rope_theta(j.value("rope_theta", 10000.0))
      .tie_embeddings(j.value("tie_word_embeddings", false))
      .rope_style(RopeStyle::Half)
      .attention_bias(qwen2 || j.value("attention_bias", false));
  if (j.contains("head_dim") && !j["head_dim"].is_null()) o.head_dim_override(need_int("head_dim"));

  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
    const auto& r = j["rope_scaling"];
    const auto type = r.value("rope_type", r.value("type", std::string("?")));
    if (type == "default") {
    } else if (type == "llama3") {
      o.rope_scaling({r.at("factor").get<double>(), r.value("low_freq_factor", 1.0), r.value("high_freq_factor", 4.0),
                      r.value("original_max_position_embeddings", std::int64_t{8192})});
    } else {
      throw fail("rope_scaling", fmt::format("type '{}' is not supported (remix implements llama3)", type));
    }
  }
  // A sliding window at least as long as the context is the same as none; a shorter one changes attention.
  const bool sliding = qwen2 ? j.value("use_sliding_window", false) : true;
  if (sliding && j.contains("sliding_window") && j["sliding_window"].is_number_integer() &&
      j["sliding_window"].get<std::int64_t>() < o.max_seq_len())
    throw fail("sliding_window", fmt::format("{} is shorter than max_position_embeddings {}: remix has no sliding-"
                                             "window attention",
                                             j["sliding_window"].get<std::int64_t>(), o.max_seq_len()));
  try {
    o.validate();
  } catch (const ConfigError& e) {
    throw fail("shape", e.what());
  }
  auto id = [&](const char* key) {
    return j.contains(key) && j[key].is_number_integer() ? j[key].get<std::int64_t>() : std::int64_t{-1};
  };
  c.bos_id = id("bos_token_id");
  c.eos_id = id("eos_token_id");
  c.pad_id = id("pad_token_id");
  return c;
}

std::vector<std::string> list_weight_files(const std::string& dir) {
  const auto single = fs::path(dir) / "model.safetensors";
  if (fs::exists(single)) return {single.string()};
  const auto index_path = fs::path(dir) / "model.safetensors.index.json";
  if (!fs::exists(index_path))
    throw DataError(fmt::format("{}: no model.safetensors and no model.safetensors.index.json (remix reads "
                                "safetensors checkpoints, not pytorch_model.bin)",
                                dir));
  const auto index = read_json(index_path, "shard index");
  if (!index.contains("weight_map") || !index["weight_map"].is_object())
    throw DataError(fmt::format("{}: no weight_map object", index_path.string()));
  std::set<std::string> shards;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    const auto file = shard.get<std::string>();
    if (file.find('/') != std::string::npos || file.find("..") != std::string::npos)
      throw DataError(fmt::format("{}: shard '{}' of '{}' is not a file name in the folder", index_path.string(),
                                  file, name));
    shards.insert((fs::path(dir) / file).string());
  }
  return {shards.begin(), shards.end()};
}

// A JSON value of the wrong type (a string where a number belongs) is bad input, not an internal error.
template <class F>
auto json_checked(const std::string& file, F&& f) {
  try {
    return f();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: a field has the wrong type or is missing: {}", file, e.what()));
  }
}

}  // namespace

HfModelConfig read_hf_config(const std::string& dir) {
  return json_checked((fs::path(dir) / "config.json").string(), [&] { return parse_hf_config(dir); });
}

std::vector<std::string> hf_weight_files(const std::string& dir) {
  return json_checked((fs::path(dir) / "model.safetensors.index.json").string(), [&] { return list_weight_files(dir); });
}

Transformer load_hf_model(const std::string& dir) {
  const auto config = read_hf_config(dir);
  std::map<std::string, std::shared_ptr<SafetensorsFile>> owner;  // tensor name -> its shard
  std::vector<std::shared_ptr<SafetensorsFile>> files;
  for (const auto& path : hf_weight_files(dir)) {
    files.push_back(std::make_shared<SafetensorsFile>(path));
    for (const auto& [name, e] : files.back()->tensors()) owner.emplace(name, files.back());
  }
  Transformer model(config.options);
  std::set<std::string> used;
  WeightReader reader;
  reader.shape = [&](const std::string& name) -> std::optional<std::vector<std::int64_t>> {
    auto it = owner.find(name);
    if (it == owner.end()) return std::nullopt;
    return it->second->entry(name).shape;
  };
  reader.fill = [&](const std::string& name, torch::Tensor& target) {
    used.insert(name);
    owner.at(name)->read_into(name, target);
  };
  load_base_weights(*model, dir, hf_tensor_name, reader);
  for (const auto& [name, file] : owner) {
    const bool derived = name.find("rotary_emb.inv_freq") != std::string::npos;  // recomputed, as transformers does
    const bool tied_copy = name == "lm_head.weight" && config.options.tie_embeddings();
    if (!used.count(name) && !derived && !tied_copy)
      throw DataError(fmt::format("{}: tensor '{}' belongs to no module of a {} as remix builds it (a different "
                                  "architecture?)",
                                  file->path(), name, config.architecture));
  }
  return model;
}

}  // namespace remix::model
