// The table of base-model sources (see base_sources.h): `pretrain` (trial/pretrained_base.cpp), and the two
// that load a file: `llama2c`, `checkpoint`, and the real models `hf` and `gguf`.
#include "trial/base_sources.h"

#include <fmt/format.h>

#include "common/sha256.h"
#include "model/bpe_tokenizer.h"
#include "model/checkpoint.h"
#include "model/gguf_model.h"
#include "model/hf_model.h"
#include "model/llama2c.h"
#include "model/model_path.h"
#include "remix/errors.h"
#include "trial/pretrained_base.h"

namespace remix::trial {

namespace {

std::string required_path(const config::ResolvedConfig& cfg, const std::string& key, const std::string& what) {
  auto path = cfg.get_string(key);
  if (path.empty())
    throw ConfigError(fmt::format("{}: base.source is {}, so {} must name {}", key, cfg.get_string("base.source"),
                                  key, what));
  return path;
}

// The file a loaded base came from, for provenance.
BaseModel loaded(model::Transformer model, std::shared_ptr<model::Tokenizer> tokenizer, const std::string& file) {
  BaseModel base{std::move(model), std::move(tokenizer), {}};
  base.tags["base.file"] = file;
  base.tags["base.sha256"] = sha256_file_hex(file);
  return base;
}

// --- pretrain: the built-in model, trained on the tasks' text once and cached ---

BaseModelShape pretrain_shape(const config::ResolvedConfig& cfg) {
  return {model::make_tokenizer(cfg), cfg.get_int("model.max_seq_len")};
}

// --- llama2c: llama2.c's float32 export and its tokenizer.bin; the header decides the shape ---

BaseModelShape llama2c_shape(const config::ResolvedConfig& cfg) {
  auto path = required_path(cfg, "base.path", "the llama2.c checkpoint file");
  auto tokenizer = required_path(cfg, "base.tokenizer", "its tokenizer.bin");
  return {std::make_shared<model::BpeTokenizer>(model::BpeTokenizer::load(tokenizer)),
          model::read_llama2c_header(path).max_seq_len()};
}

BaseModel llama2c_obtain(const BaseModelRequest& r) {
  auto shape = llama2c_shape(r.cfg);
  auto path = r.cfg.get_string("base.path");
  auto model = model::load_llama2c(path);
  model::check_vocabulary(*shape.tokenizer, model->options().vocab_size(), r.cfg.get_string("base.tokenizer"), path);
  return loaded(model, shape.tokenizer, path);
}

// --- checkpoint: a remix checkpoint whose embedded model.* config must equal the trial's ---

BaseModelShape checkpoint_shape(const config::ResolvedConfig& cfg) {
  required_path(cfg, "base.path", "the checkpoint file");
  return pretrain_shape(cfg);
}

BaseModel checkpoint_obtain(const BaseModelRequest& r) {
  auto shape = checkpoint_shape(r.cfg);
  auto path = r.cfg.get_string("base.path");
  auto options = model::transformer_options_from(r.cfg, shape.tokenizer->vocab_size());
  model::Transformer model(options);
  model::load_checkpoint(path, *model, model::base_model_config(options, shape.tokenizer->kind()));
  return loaded(model, shape.tokenizer, path);
}

// --- hf / gguf: real pretrained models; the folder or file carries the shape and the tokenizer ---

BaseModelShape real_shape(const config::ResolvedConfig& cfg) {
  const auto source = cfg.get_string("base.source");
  auto path = required_path(cfg, "base.path", source == "hf" ? "a Hugging Face model folder" : "a .gguf file");
  const auto kind = model::model_path_kind(path);
  if ((source == "hf") != (kind == model::ModelPathKind::HfFolder) || kind == model::ModelPathKind::TokenizerJson)
    throw ConfigError(fmt::format("base.path: '{}' is not {} (base.source is {})", path,
                                  source == "hf" ? "a model folder" : "a .gguf file", source));
  const auto options = source == "hf" ? model::read_hf_config(path).options
                                      : model::gguf_transformer_options(model::GgufFile(path));
  auto [chat, tokenizer] = prompt_format_of(cfg, path, model::load_tokenizer_from(path));
  return {tokenizer, options.max_seq_len(), chat};
}

BaseModel real_obtain(const BaseModelRequest& r) {
  auto shape = real_shape(r.cfg);
  const auto path = r.cfg.get_string("base.path");
  auto model = model::load_model_from(path);
  // Embedding matrices are often padded past the tokenizer (Qwen2), never the other way round.
  if (shape.tokenizer->vocab_size() > model->options().vocab_size())
    throw DataError(fmt::format("base.path: the tokenizer of {} has {} tokens but the model's embedding only {} rows",
                                path, shape.tokenizer->vocab_size(), model->options().vocab_size()));
  BaseModel base{model, shape.tokenizer, {}};
  base.tags["base.file"] = path;
  base.tags["base.sha256"] = model::model_path_sha256(path);
  base.tags["base.architecture"] = to_json(model->options()).dump();
  return base;
}

const std::vector<BaseModelSource> kSources = {
    {"pretrain", "the built-in model (model.*), pretrained on the tasks' text once and cached in base.cache_dir",
     pretrain_shape, obtain_pretrained_base},
    {"llama2c", "a llama2.c float32 export (base.path) with its tokenizer.bin (base.tokenizer)", llama2c_shape,
     llama2c_obtain},
    {"checkpoint", "a remix base checkpoint (base.path) of the model.* shape", checkpoint_shape, checkpoint_obtain},
    {"hf", "a Hugging Face model folder (base.path): config.json, safetensors, tokenizer.json", real_shape,
     real_obtain},
    {"gguf", "a llama.cpp GGUF file (base.path) with its embedded tokenizer", real_shape, real_obtain},
};

}  // namespace

const std::vector<BaseModelSource>& base_model_sources() { return kSources; }

std::pair<std::optional<model::ChatFormat>, std::shared_ptr<model::Tokenizer>> prompt_format_of(
    const config::ResolvedConfig& cfg, const std::string& path, std::shared_ptr<model::Tokenizer> tokenizer) {
  if (cfg.get_string("base.prompt_format") != "chat") return {std::nullopt, std::move(tokenizer)};
  const auto where = fmt::format("base.prompt_format: the chat template of {}", path);
  auto format = model::recognize_chat_template(model::read_chat_template(path), where);
  return {format, model::chat_tokenizer(std::move(tokenizer), format, where)};
}

const BaseModelSource& base_model_source(const config::ResolvedConfig& cfg) {
  auto name = cfg.get_string("base.source");
  if (cfg.get_string("base.prompt_format") == "chat" && name != "hf" && name != "gguf")
    throw ConfigError(fmt::format("base.prompt_format: chat applies a real model's chat template (base.source hf or "
                                  "gguf); base.source {} has none",
                                  name));
  for (const auto& s : kSources)
    if (name == s.name) return s;
  throw ConfigError(fmt::format("base.source: no base-model source '{}'", name));  // the schema lists the rows
}

BaseModel obtain_base_model(const BaseModelRequest& request) {
  const auto& source = base_model_source(request.cfg);
  BaseModel base = source.obtain(request);
  base.tags["base.source"] = source.name;
  base.model->freeze_base();
  store_frozen_as_configured(request.cfg, *base.model);
  base.model->eval();
  return base;
}

void store_frozen_as_configured(const config::ResolvedConfig& cfg, model::TransformerImpl& model) {
  if (cfg.get_string("model.dtype") == "bfloat16") model.store_frozen_matrices_as(torch::kBFloat16);
}

}  // namespace remix::trial
