// Hugging Face model folders (`base.source: hf`): config.json read into TransformerOptions, and the weights of
// model.safetensors or of the shards a model.safetensors.index.json lists, mapped onto remix's modules.
//
// Architectures: LlamaForCausalLM (Llama 2/3, incl. rope_scaling type llama3; SmolLM2, TinyLlama),
// MistralForCausalLM and Qwen2ForCausalLM (q/k/v biases). Any config field that would change the computation
// in a way remix does not implement (another activation, MLP biases, another rope scaling, a sliding window
// shorter than the context) is a DataError naming config.json and the field — never silently ignored. So is a
// checkpoint tensor no module takes (e.g. Qwen3's q_norm): remix would compute something else than the model.
#pragma once

#include <string>
#include <vector>

#include "model/transformer.h"
#include "model/weight_loading.h"

namespace remix::model {

struct HfModelConfig {
  std::string architecture;  // e.g. LlamaForCausalLM
  TransformerOptions options;
  std::int64_t bos_id = -1, eos_id = -1, pad_id = -1;  // from config.json, -1 when absent
};

// DIR/config.json -> options. DataError naming the file and field for what remix cannot run.
HfModelConfig read_hf_config(const std::string& dir);

// The safetensors files of DIR: model.safetensors, or the shards model.safetensors.index.json maps to.
std::vector<std::string> hf_weight_files(const std::string& dir);

// The Hugging Face name of a base tensor ("model.layers.3.self_attn.q_proj.weight"): how a folder's weights are
// found, and what PEFT names an adapted module after.
std::string hf_tensor_name(const BaseTensor& t);

// The model of DIR in float32, weights loaded.
Transformer load_hf_model(const std::string& dir);

}  // namespace remix::model
