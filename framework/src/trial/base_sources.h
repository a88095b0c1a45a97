// Where a trial's frozen base model comes from: one table of sources, keyed by `base.source`. A source says
// what the trial's model will read without loading any weights (its tokenizer and context length, for the
// checks done before anything expensive, and for `remix data`), and how to obtain the model. Adding a
// source is one row of base_sources.cpp plus its reader (model/ for file formats); the schema's list of
// base.source values is checked against the table by a test.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/resolved_config.h"
#include "model/chat_template.h"
#include "model/tokenizer.h"
#include "model/transformer.h"
#include "store/results_store.h"
#include "train/task_set.h"

namespace remix::trial {

struct BaseModel {
  model::Transformer model{nullptr};  // frozen, in eval mode
  std::shared_ptr<model::Tokenizer> tokenizer;
  std::map<std::string, std::string> tags;  // base.source, base.file, base.sha256, ...
};

// What a source knows before loading: the tokenizer the model reads and its context length, and with
// base.prompt_format: chat the chat format its prompts take (the tokenizer then ends turns with its end of turn).
struct BaseModelShape {
  std::shared_ptr<model::Tokenizer> tokenizer;
  std::int64_t context_length = 0;
  std::optional<model::ChatFormat> chat;
};

// What obtaining a base may use: the trial's config, its tasks (the pretraining corpus) and the results
// store (pretraining is recorded as a run of its own).
struct BaseModelRequest {
  const config::ResolvedConfig& cfg;
  const train::TaskSet& tasks;
  store::ResultsStore& store;
};

struct BaseModelSource {
  const char* name;     // the base.source value
  const char* summary;  // one line for documentation
  // Throws ConfigError naming the key a source needs (base.path, base.tokenizer) and DataError naming a file.
  BaseModelShape (*shape)(const config::ResolvedConfig& cfg);
  BaseModel (*obtain)(const BaseModelRequest& request);
};

const std::vector<BaseModelSource>& base_model_sources();
// The chat format of the model at `path` and the tokenizer that goes with it (`tokenizer` wrapped), when
// base.prompt_format is chat; nullopt and `tokenizer` unchanged when plain. ConfigError naming base.prompt_format.
std::pair<std::optional<model::ChatFormat>, std::shared_ptr<model::Tokenizer>> prompt_format_of(
    const config::ResolvedConfig& cfg, const std::string& path, std::shared_ptr<model::Tokenizer> tokenizer);
// The row base.source names.
const BaseModelSource& base_model_source(const config::ResolvedConfig& cfg);
// The base of the row base.source names, frozen, in eval mode, tagged with its source, its weight matrices stored
// as model.dtype says.
BaseModel obtain_base_model(const BaseModelRequest& request);
// model.dtype applied to a frozen base: bfloat16 stores its weight matrices in bfloat16 (model/frozen_weights.h).
void store_frozen_as_configured(const config::ResolvedConfig& cfg, model::TransformerImpl& model);

}  // namespace remix::trial
