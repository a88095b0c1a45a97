// Loading the base model a config names (see base_model.h).
#include "model/base_model.h"

#include <fmt/format.h>

#include "config/resolved_config.h"
#include "model/checkpoint.h"
#include "remix/errors.h"

namespace remix::model {

nlohmann::json base_model_config(const TransformerOptions& options, const std::string& tokenizer_kind) {
  auto model = to_json(options);
  model["tokenizer"] = tokenizer_kind;
  return {{"model", model}};
}

LoadedModel load_base_model(const config::ResolvedConfig& cfg) {
  const auto source = cfg.get_string("base.source");
  const auto path = cfg.get_string("base.path");
  if (source == "pretrain")
    throw std::invalid_argument("load_base_model: base.source=pretrain is built by the trainer, not loaded");
  if (path.empty())
    throw ConfigError(fmt::format("base.path: base.source is {}, so base.path must name the checkpoint file", source));
  if (source == "llama2c") {
    const auto tokenizer = cfg.get_string("base.tokenizer");
    if (tokenizer.empty())
      throw ConfigError("base.tokenizer: base.source is llama2c, so base.tokenizer must name its tokenizer.bin");
    return load_llama2c(path, tokenizer);
  }
  LoadedModel loaded;
  loaded.tokenizer = make_tokenizer(cfg);
  auto options = transformer_options_from(cfg, loaded.tokenizer->vocab_size());
  loaded.model = Transformer(options);
  load_checkpoint(path, *loaded.model, base_model_config(options, loaded.tokenizer->kind()));
  return loaded;
}

}  // namespace remix::model
