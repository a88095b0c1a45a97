// Telling model paths apart (see model_path.h).
#include "model/model_path.h"

#include <fmt/format.h>

#include <filesystem>

#include "common/sha256.h"
#include "common/text.h"
#include "model/gguf_model.h"
#include "model/gguf_tokenizer.h"
#include "model/hf_model.h"
#include "model/tokenizer_json.h"
#include "remix/errors.h"

namespace remix::model {

namespace fs = std::filesystem;

ModelPathKind model_path_kind(const std::string& path) {
  if (fs::is_directory(path)) return ModelPathKind::HfFolder;
  if (!fs::exists(path)) throw DataError(fmt::format("{}: no such file or folder", path));
  if (text::ends_with(path, ".gguf")) return ModelPathKind::Gguf;
  if (text::ends_with(path, ".json")) return ModelPathKind::TokenizerJson;
  throw DataError(fmt::format("{}: not a model folder, a .gguf file or a tokenizer.json", path));
}

std::shared_ptr<PipelineTokenizer> load_tokenizer_from(const std::string& path) {
  switch (model_path_kind(path)) {
    case ModelPathKind::HfFolder: {
      const auto json = (fs::path(path) / "tokenizer.json").string();
      if (!fs::exists(json))
        throw DataError(fmt::format("{}: the model folder has no tokenizer.json (remix does not read "
                                    "tokenizer.model or vocab.json/merges.txt)",
                                    path));
      return load_tokenizer_json(json);
    }
    case ModelPathKind::Gguf: return load_gguf_tokenizer(GgufFile(path));
    case ModelPathKind::TokenizerJson: return load_tokenizer_json(path);
  }
  return nullptr;
}

Transformer load_model_from(const std::string& path) {
  switch (model_path_kind(path)) {
    case ModelPathKind::HfFolder: return load_hf_model(path);
    case ModelPathKind::Gguf: return load_gguf_model(GgufFile(path));
    case ModelPathKind::TokenizerJson: break;
  }
  throw DataError(fmt::format("{}: a tokenizer.json holds no model weights", path));
}

std::string model_path_sha256(const std::string& path) {
  if (model_path_kind(path) != ModelPathKind::HfFolder) return sha256_file_hex(path);
  std::string listing;
  auto add = [&](const std::string& file) {
    listing += fs::path(file).filename().string() + " " + sha256_file_hex(file) + "\n";
  };
  add((fs::path(path) / "config.json").string());
  for (const auto& f : hf_weight_files(path)) add(f);
  return sha256_hex(listing);
}

}  // namespace remix::model
