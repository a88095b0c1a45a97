// What a path a researcher gives names: a Hugging Face model folder (config.json, safetensors, tokenizer.json), a
// GGUF file (weights and tokenizer in one), or a bare tokenizer.json. One place decides, for the base sources and
// the commands that take --model (tokenize, generate).
#pragma once

#include <memory>
#include <string>

#include "model/pipeline_tokenizer.h"
#include "model/transformer.h"

namespace remix::model {

enum class ModelPathKind { HfFolder, Gguf, TokenizerJson };

// DataError naming the path when it is none of the three.
ModelPathKind model_path_kind(const std::string& path);

std::shared_ptr<PipelineTokenizer> load_tokenizer_from(const std::string& path);
// The model of a folder or a .gguf file, float32 (DataError for a bare tokenizer.json).
Transformer load_model_from(const std::string& path);

// A fingerprint of the model's bytes for provenance: the file's sha256, or for a folder the sha256 of its
// config.json's and weight files' sha256s (names included).
std::string model_path_sha256(const std::string& path);

}  // namespace remix::model
