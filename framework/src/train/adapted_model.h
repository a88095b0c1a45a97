// The model a trial trains: the frozen base with a Mixture-of-LoRAs attached (built by trial/trial_model.h
// from the trial's config), its tokenizer, and the counts that make routers comparable (trainable LoRA and
// router parameters, and the LoRA parameters active for one token).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapter/mixture_of_loras.h"
#include "model/tokenizer.h"
#include "model/transformer.h"

namespace remix::train {

struct AdaptedModel {
  model::Transformer model{nullptr};
  std::shared_ptr<model::Tokenizer> tokenizer;
  adapter::AttachedMixture mixture;
  std::map<std::string, std::string> tags;  // the base's provenance and the mixture's resolved settings
  std::int64_t lora_parameters = 0, router_parameters = 0;

  // The trainable tensors by name (what a checkpoint holds).
  std::vector<std::pair<std::string, torch::Tensor>> trainable() const;
  // LoRA parameters that act on one token when `top_k` experts of each bank are chosen (every expert for a
  // router whose traits say it applies them all: hydra's dense softmax).
  std::int64_t active_lora_parameters(std::int64_t top_k) const;
};

}  // namespace remix::train
