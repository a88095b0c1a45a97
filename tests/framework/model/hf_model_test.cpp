// Hugging Face folders without any reference installed: a small random model written as a folder (config.json and
// safetensors in Hugging Face's names, sharded with an index) loads back to the same logits; config fields remix
// does not implement are refused naming config.json and the field; a tensor no module takes is refused by name.
// llama.cpp's q/k permutation is undone exactly. (Against transformers itself: tests/reference.)
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "model/gguf_model.h"
#include "model/hf_model.h"
#include "model/safetensors.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

nlohmann::json tiny_config() {
  return {{"architectures", {"Qwen2ForCausalLM"}},
          {"vocab_size", 50},
          {"hidden_size", 32},
          {"intermediate_size", 48},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4},
          {"num_key_value_heads", 2},
          {"max_position_embeddings", 64},
          {"rms_norm_eps", 1e-6},
          {"rope_theta", 1e6},
          {"tie_word_embeddings", false},
          {"hidden_act", "silu"}};
}

// Writes `model`'s weights in Hugging Face names, split over two shards with an index.
void write_folder(const test::TempDir& dir, TransformerImpl& model, const nlohmann::json& config) {
  dir.write("config.json", config.dump());
  std::vector<std::pair<std::string, torch::Tensor>> first, second;
  for (const auto& p : model.named_parameters()) {
    auto name = p.key();
    std::string hf;
    if (name == "embed.weight") hf = "model.embed_tokens.weight";
    else if (name == "norm.weight") hf = "model.norm.weight";
    else if (name == "head.weight") hf = "lm_head.weight";
    else {
      // layers.N.attn.q.weight -> model.layers.N.self_attn.q_proj.weight, ...
      auto parts = std::vector<std::string>();
      std::stringstream ss(name);
      for (std::string s; std::getline(ss, s, '.');) parts.push_back(s);
      const auto& layer = parts[1];
      if (parts[2] == "attn_norm") hf = "model.layers." + layer + ".input_layernorm.weight";
      else if (parts[2] == "ffn_norm") hf = "model.layers." + layer + ".post_attention_layernorm.weight";
      else hf = fmt::format("model.layers.{}.{}.{}_proj.{}", layer, parts[2] == "attn" ? "self_attn" : "mlp", parts[3], parts[4]);
    }
    (first.size() < 8 ? first : second).emplace_back(hf, p.value().detach());
  }
  SafetensorsFile::write(dir.file("model-00001-of-00002.safetensors"), first);
  SafetensorsFile::write(dir.file("model-00002-of-00002.safetensors"), second);
  nlohmann::json map;
  for (const auto& [n, t] : first) map[n] = "model-00001-of-00002.safetensors";
  for (const auto& [n, t] : second) map[n] = "model-00002-of-00002.safetensors";
  dir.write("model.safetensors.index.json", nlohmann::json{{"weight_map", map}}.dump());
}

TEST(HfModel, AShardedFolderLoadsToTheSameLogits) {
  test::TempDir dir;
  auto config = tiny_config();
  auto options = read_hf_config([&] { dir.write("config.json", config.dump()); return dir.path().string(); }());
  EXPECT_EQ(options.options.rope_style(), RopeStyle::Half);
  EXPECT_TRUE(options.options.attention_bias());
  torch::manual_seed(3);
  Transformer original(options.options);
  {
    torch::NoGradGuard g;
    for (auto& p : original->parameters()) p.normal_(0, 0.2);
  }
  write_folder(dir, *original, config);
  auto loaded = load_hf_model(dir.path().string());
  auto tokens = torch::randint(50, {2, 9}, torch::kLong);
  torch::NoGradGuard g;
  EXPECT_TRUE(loaded->forward(tokens).equal(original->forward(tokens)));
}

TEST(HfModel, RefusesWhatItDoesNotImplementNamingTheField) {
  struct Case {
    const char* field;
    nlohmann::json value;
    const char* expect;
  };
  const Case cases[] = {
      {"architectures", {"Qwen3ForCausalLM"}, "'Qwen3ForCausalLM' is not supported"},
      {"hidden_act", "gelu", "hidden_act"},
      {"mlp_bias", true, "mlp_bias"},
      {"rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}}, "type 'yarn' is not supported"},
      {"num_key_value_heads", 3, "n_kv_heads"},
      {"rms_norm_eps", "tiny", "wrong type"},  // was an internal error (exit 1) before it was caught
      {"architectures", {42}, "wrong type"},
  };
  for (const auto& c : cases) {
    test::TempDir dir;
    auto config = tiny_config();
    config[c.field] = c.value;
    dir.write("config.json", config.dump());
    auto msg = test::error_message<DataError>([&] { read_hf_config(dir.path().string()); });
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.field << ": " << msg;
    EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
  }
  test::TempDir dir;
  auto mistral = tiny_config();
  mistral["architectures"] = {"MistralForCausalLM"};
  mistral["sliding_window"] = 16;
  dir.write("config.json", mistral.dump());
  EXPECT_NE(test::error_message<DataError>([&] { read_hf_config(dir.path().string()); }).find("sliding_window"),
            std::string::npos);
}

TEST(HfModel, ATensorNoModuleTakesIsRefused) {
  test::TempDir dir;
  auto config = tiny_config();
  dir.write("config.json", config.dump());
  Transformer model(read_hf_config(dir.path().string()).options);
  write_folder(dir, *model, config);
  // A third shard with a Qwen3-style norm the model has no module for.
  SafetensorsFile::write(dir.file("extra.safetensors"), {{"model.layers.0.self_attn.q_norm.weight", torch::ones({8})}});
  auto index = nlohmann::json::parse(test::read_file(dir.file("model.safetensors.index.json")));
  index["weight_map"]["model.layers.0.self_attn.q_norm.weight"] = "extra.safetensors";
  dir.write("model.safetensors.index.json", index.dump());
  auto msg = test::error_message<DataError>([&] { load_hf_model(dir.path().string()); });
  EXPECT_NE(msg.find("q_norm"), std::string::npos) << msg;
  index["weight_map"]["x"] = "../escape.safetensors";
  dir.write("model.safetensors.index.json", index.dump());
  msg = test::error_message<DataError>([&] { load_hf_model(dir.path().string()); });
  EXPECT_NE(msg.find("not a file name in the folder"), std::string::npos) << msg;
}

TEST(GgufModel, UndoesLlamaCppsQkPermutation) {
  // llama.cpp's convert_hf_to_gguf.py: w.reshape(heads, 2, rows / heads / 2, ...).swapaxes(1, 2).reshape(w.shape)
  const std::int64_t heads = 3, head_dim = 8, cols = 5;
  auto hf = torch::randn({heads * head_dim, cols});
  auto permuted = hf.reshape({heads, 2, head_dim / 2, cols}).transpose(1, 2).reshape({heads * head_dim, cols});
  EXPECT_TRUE(unpermute_llama_rows(permuted, heads).equal(hf));
  auto bias = torch::randn({heads * head_dim});
  auto bias_permuted = bias.reshape({heads, 2, head_dim / 2}).transpose(1, 2).reshape({heads * head_dim});
  EXPECT_TRUE(unpermute_llama_rows(bias_permuted, heads).equal(bias));
}

}  // namespace
}  // namespace remix::model
