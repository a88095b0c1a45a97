// The `pretrain` base-model source: the built-in model (model.*) trained on the tasks' pretraining text once
// and cached in base.cache_dir under a hash of everything that decides it (model shape, tokenizer,
// base.pretrain.*, the corpus). Concurrent trials that need the same base wait on a file lock while one of
// them trains it; the pretraining is recorded in the results store as a run of its own (kind `pretrain`).
#pragma once

#include <string>
#include <vector>

#include "trial/base_sources.h"

namespace remix::trial {

BaseModel obtain_pretrained_base(const BaseModelRequest& request);

// The cache key of a pretrained base: sha256 over the model options, tokenizer, base.pretrain.* and corpus.
std::string pretrain_key(const config::ResolvedConfig& cfg, const model::TransformerOptions& options,
                         const std::string& tokenizer_kind, const std::vector<std::string>& documents);

}  // namespace remix::trial
