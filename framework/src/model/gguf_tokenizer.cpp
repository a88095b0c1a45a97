// The GGUF tokenizer (see gguf_tokenizer.h).
#include "model/gguf_tokenizer.h"

#include <fmt/format.h>

#include "remix/errors.h"

namespace remix::model {

namespace {
// llama.cpp's token types (llama_token_type).
constexpr int kControl = 3, kUserDefined = 4;
}  // namespace

std::shared_ptr<PipelineTokenizer> load_gguf_tokenizer(const GgufFile& f) {
  const auto model = f.get_string("tokenizer.ggml.model");
  TokenizerPipeline p;
  p.source = f.path();
  p.kind = "gguf";
  auto pieces = f.get_strings("tokenizer.ggml.tokens");
  std::vector<double> types;
  if (f.find("tokenizer.ggml.token_type")) types = f.get_floats("tokenizer.ggml.token_type");
  if (!types.empty() && types.size() != pieces.size())
    throw DataError(fmt::format("{}: {} token types for {} tokens", f.path(), types.size(), pieces.size()));
  for (std::size_t i = 0; i < types.size(); ++i) {
    const int t = static_cast<int>(types[i]);
    if (t == kControl || t == kUserDefined)
      p.added.push_back({pieces[i], static_cast<std::int64_t>(i), t == kControl, false, false});
  }

  if (model == "gpt2") {
    const auto pre = f.find("tokenizer.ggml.pre") ? f.get_string("tokenizer.ggml.pre") : std::string("default");
    auto splits = split_patterns_of_gguf_pre(pre);
    if (!splits)
      throw DataError(fmt::format("{}: tokenizer.ggml.pre '{}' is not supported (remix knows default, gpt-2, "
                                  "llama-bpe, qwen2, smollm)",
                                  f.path(), pre));
    std::vector<std::pair<std::string, std::string>> merges;
    for (const auto& m : f.get_strings("tokenizer.ggml.merges")) {
      const auto space = m.find(' ', 1);
      if (space == std::string::npos)
        throw DataError(fmt::format("{}: tokenizer.ggml.merges holds '{}', which has no space", f.path(), m));
      merges.emplace_back(m.substr(0, space), m.substr(space + 1));
    }
    p.bpe = BpeModel(std::move(pieces), BpeModel::Order::MergeRanks, {}, merges, f.path());
    p.splits = *splits;
    p.byte_level = true;
    p.bpe.ignore_merges = pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3";
  } else if (model == "llama") {
    std::vector<float> scores;
    for (double s : f.get_floats("tokenizer.ggml.scores")) scores.push_back(static_cast<float>(s));
    p.bpe = BpeModel(std::move(pieces), BpeModel::Order::PieceScores, scores, {}, f.path());
    p.bpe.byte_fallback = true;
    p.spaces_to_metaspace = true;
    const auto* prefix = f.find("tokenizer.ggml.add_space_prefix");
    p.prepend_metaspace = !prefix || prefix->b;
    p.strip_leading_spaces = p.prepend_metaspace ? 1 : 0;
  } else {
    throw DataError(fmt::format("{}: tokenizer.ggml.model '{}' is not supported (remix reads gpt2 and llama)",
                                f.path(), model));
  }
  auto id = [&](const char* key) {
    return f.find(key) ? static_cast<std::int64_t>(f.get_uint(key)) : std::int64_t{-1};
  };
  p.bos = id("tokenizer.ggml.bos_token_id");
  p.eos = id("tokenizer.ggml.eos_token_id");
  p.pad = id("tokenizer.ggml.padding_token_id");
  p.bpe.unk_id = id("tokenizer.ggml.unknown_token_id");
  const auto* add_bos = f.find("tokenizer.ggml.add_bos_token");
  p.add_bos = p.bos >= 0 && (add_bos ? add_bos->b : model == "llama");
  return std::make_shared<PipelineTokenizer>(std::move(p));
}

}  // namespace remix::model
