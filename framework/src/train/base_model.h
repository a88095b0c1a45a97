// The frozen base model a trial starts from. `base.source: pretrain` trains the built-in model on the tasks'
// pretraining text once and caches it in base.cache_dir under a hash of everything that decides it (model
// shape, tokenizer, base.pretrain.*, the corpus); concurrent trials that need the same base wait on a file
// lock while one of them trains it, and the pretraining is recorded in the results database as its own run.
// `llama2c` and `checkpoint` load files instead (model/base_model.h).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/resolved_config.h"
#include "model/tokenizer.h"
#include "model/transformer.h"
#include "store/results_db.h"
#include "train/task_set.h"

namespace remix::train {

struct BaseModel {
  model::Transformer model{nullptr};
  std::shared_ptr<model::Tokenizer> tokenizer;
  std::map<std::string, std::string> tags;  // base.source, base.file, base.sha256, ...
};

BaseModel obtain_base_model(const config::ResolvedConfig& cfg, const TaskSet& tasks, store::ResultsDb& db);

// The cache key of a pretrained base: sha256 over the model options, tokenizer, base.pretrain.* and corpus.
std::string pretrain_key(const config::ResolvedConfig& cfg, const model::TransformerOptions& options,
                         const std::string& tokenizer_kind, const std::vector<std::string>& documents);

}  // namespace remix::train
