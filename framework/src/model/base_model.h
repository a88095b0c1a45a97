// The frozen base model a trial starts from, for the sources that load a file: `base.source: llama2c`
// (base.path + base.tokenizer; the header decides the shape, model.* keys are not consulted) and
// `base.source: checkpoint` (a remix checkpoint at base.path whose embedded model.* config must equal the
// trial's, with the tokenizer model.tokenizer names). `pretrain` is built by the trainer (train/).
#pragma once

#include <nlohmann/json.hpp>

#include "model/llama2c.h"

namespace remix::config {
class ResolvedConfig;
}

namespace remix::model {

// The config a base-model checkpoint embeds: {"model": {<model.* keys>, "vocab_size": V}}.
nlohmann::json base_model_config(const TransformerOptions& options, const std::string& tokenizer_kind);

// Throws ConfigError naming base.path / base.tokenizer when they are empty, DataError naming the file for bad
// files; std::invalid_argument for base.source=pretrain (the caller builds that one).
LoadedModel load_base_model(const config::ResolvedConfig& cfg);

}  // namespace remix::model
