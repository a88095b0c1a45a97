// A finetuned trial written as Hugging Face PEFT LoRA adapters (`remix export --format peft`), so that PEFT on the
// transformers model of the same base computes what remix computed.
//
// A single LoRA (adapter.num_experts = 1) becomes one adapter in DIR: adapter_config.json + adapter_model.safetensors
// with PEFT's tensor names (base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight [r, in], lora_B [out, r])
// and a lora_alpha that makes PEFT's scaling (lora_alpha / r) the weight remix gave the expert.
//
// A mixture becomes one adapter per expert, DIR/expert_<e>/ (HydraLoRA's shared A is each head's A), plus
// DIR/routers.safetensors (the router parameters under remix's names) and the routing in remix_export.json: the
// router plugin and its parameters, n, k, where each router reads its input, and how the experts' outputs are
// weighted. Where remix gives every chosen expert one constant weight (ReMix's ω, a single LoRA's lora_alpha/r) it
// is folded into the experts' lora_alpha, so activating the chosen adapters together in PEFT reproduces remix's
// output for that routing; where weights are learned per token (softmax, hydra) the adapters carry lora_alpha/r
// and each expert's output is multiplied by the router's weight. Every export also writes remix_export.json with
// the provenance: the run or checkpoint, its config.
#pragma once

#include <string>
#include <vector>

#include "trial/finetuned_trial.h"

namespace remix::interop {

struct ExportedFiles {
  std::vector<std::string> files;  // everything written, relative to the output folder
};

// Writes into `out_dir` (created; files already there with these names are replaced). UserError naming the
// checkpoint tensor that is not a LoRA factor or router parameter of the model the config describes, or the
// router plugin whose expert weights remix cannot describe for a single-LoRA export.
ExportedFiles export_peft(const trial::FinetunedTrial& trial, const std::string& out_dir);

}  // namespace remix::interop
