// A finetuned trial read back after it ran: its final adapters and routers (a sealed checkpoint), the config that
// trained them and the sha256 of the base model it adapted (both embedded in the checkpoint). Found by run in a
// results store (id or trial key) or by checkpoint file; `remix generate` rebuilds its model from this and
// `remix export` writes its tensors in other formats. Every way the lookup can fail names the run or the file.
#pragma once

#include <optional>
#include <string>

#include "config/resolved_config.h"
#include "model/chat_template.h"
#include "train/adapted_model.h"
#include "train/trial_checkpoint.h"

namespace remix::trial {

struct FinetunedTrial {
  std::string label;               // "results/x.db run 3 'variant=lora'", or the checkpoint file
  std::string checkpoint;          // the sealed checkpoint the tensors came from
  config::ResolvedConfig config;   // the trial's config, validated again
  train::StoredTensors stored;     // meta and tensors by parameter name
  std::string base_sha256;         // the sha256 of the base it adapted (recorded in the checkpoint)
};

// DataError naming the file when it is not a sealed remix trial checkpoint (a precision file, corrupt, unsealed).
FinetunedTrial finetuned_from_checkpoint(const std::string& path, const config::PluginSchemaLookup& lookup);
// `run`: the run's id, its trial key or a unique prefix of the key. UserError naming the database when there is
// no such run or it recorded no checkpoint (the newest recorded one is taken: the final one of a completed run).
FinetunedTrial finetuned_from_run(const std::string& db, const std::string& run,
                                  const config::PluginSchemaLookup& lookup);

// The trial's model on the base at `model_path` (a model folder or .gguf file; "" = the config's base.path, for
// base.source hf or gguf): the base loaded, the mixture attached as the trial attached it and the checkpoint's
// tensors copied in; eval mode. UserError when the model is not the base the run adapted (by sha256) or its tensors do not fit the checkpoint's (naming the tensor and both shapes).
// `chat`: the format its prompts take when it trained with base.prompt_format: chat (its tokenizer then ends turns
// with the format's end of turn).
struct FinetunedModel {
  train::AdaptedModel adapted;
  std::optional<model::ChatFormat> chat;
};
FinetunedModel load_finetuned_model(const FinetunedTrial& trial, const std::string& model_path);

}  // namespace remix::trial
