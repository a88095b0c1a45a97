// The model a trial trains: the frozen base (train/base_model.h) with a Mixture-of-LoRAs attached whose
// routers come from the trial's router plugin, and the counts that make routers comparable (trainable LoRA
// and router parameters, and the LoRA parameters active for one token).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapter/mixture_of_loras.h"
#include "config/resolved_config.h"
#include "store/results_db.h"
#include "train/base_model.h"
#include "train/task_set.h"

namespace remix::train {

struct TrialModel {
  model::Transformer model{nullptr};
  std::shared_ptr<model::Tokenizer> tokenizer;
  adapter::AttachedMixture mixture;
  std::map<std::string, std::string> tags;
  std::int64_t lora_parameters = 0, router_parameters = 0;

  // The trainable tensors by name (what a checkpoint holds).
  std::vector<std::pair<std::string, torch::Tensor>> trainable() const;
  // LoRA parameters that act on one token when `active` experts of each bank are chosen.
  std::int64_t active_lora_parameters(std::int64_t active) const;
};

TrialModel build_trial_model(const config::ResolvedConfig& cfg, const TaskSet& tasks, store::ResultsDb& db);
// The mixture of the config's router plugin attached to `base` (whatever made it), initialised under `seed`.
TrialModel adapt_base_model(BaseModel base, const config::ResolvedConfig& cfg);

}  // namespace remix::train
