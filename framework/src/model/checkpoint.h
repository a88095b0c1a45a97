// remix's own checkpoint format (`base.source: checkpoint`, and the trainer's checkpoints): one file written
// with torch::pickle_save (the zip format of torch.save, so Python's torch.load reads it too) holding the tuple
// (meta JSON text, {parameter or buffer name: tensor}). The meta JSON is
// {"format": "remix-checkpoint", "version": 1, "config": <the resolved config, or the part that matters>}.
//
// Loading compares the embedded config with the one asked for, key by key, and refuses any difference with a
// DataError naming the file and every differing dotted key with both values; then every tensor the module
// has must be in the file with the same shape. remix writes checkpoints sealed (a sha256 file beside them) and
// verifies the seal when there is one; a checkpoint made elsewhere (Python's torch.save) has none and loads.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "model/transformer_options.h"

namespace remix::model {

// Writes the checkpoint as a sealed file (common/sealed_file.h) and returns its sha256.
std::string save_checkpoint(const std::string& path, torch::nn::Module& module, const nlohmann::json& config);
// The embedded config; DataError naming the file when it is not a remix checkpoint.
nlohmann::json read_checkpoint_config(const std::string& path);
// Checks every leaf of `expected` against the embedded config, then loads the tensors into `module`. A file
// with a digest beside it (one remix wrote) must match it: a corrupt one is a DataError naming it.
void load_checkpoint(const std::string& path, torch::nn::Module& module, const nlohmann::json& expected);

// The config a base-model checkpoint embeds: {"model": {<model.* keys>, "vocab_size": V, "tokenizer": kind}}.
nlohmann::json base_model_config(const TransformerOptions& options, const std::string& tokenizer_kind);

// "dotted.key: checkpoint X, asked for Y" for every leaf of `expected` that `actual` lacks or holds otherwise.
std::vector<std::string> config_differences(const nlohmann::json& actual, const nlohmann::json& expected);

}  // namespace remix::model
