// The byte-level tokenizer and the config's choice of tokenizer (see tokenizer.h).
#include "model/tokenizer.h"

#include <fmt/format.h>

#include "config/resolved_config.h"
#include "model/bpe_tokenizer.h"
#include "remix/errors.h"

namespace remix::model {

std::vector<std::int64_t> ByteTokenizer::encode(const std::string& text, bool bos, bool eos) const {
  std::vector<std::int64_t> ids;
  ids.reserve(text.size() + 2);
  if (bos) ids.push_back(kBos);
  for (unsigned char c : text) ids.push_back(c);
  if (eos) ids.push_back(kEos);
  return ids;
}

std::string ByteTokenizer::decode(const std::vector<std::int64_t>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (auto id : ids)
    if (id >= 0 && id < 256) out.push_back(static_cast<char>(id));
  return out;
}

void check_vocabulary(const Tokenizer& tokenizer, std::int64_t model_vocab, const std::string& tokenizer_file,
                      const std::string& model_file) {
  if (tokenizer.vocab_size() != model_vocab)
    throw DataError(fmt::format("tokenizer {} has {} tokens but checkpoint {} has a vocabulary of {}: they do not "
                                "belong together",
                                tokenizer_file, tokenizer.vocab_size(), model_file, model_vocab));
}

std::shared_ptr<Tokenizer> make_tokenizer(const config::ResolvedConfig& cfg) {
  if (cfg.get_string("model.tokenizer") == "byte") return std::make_shared<ByteTokenizer>();
  auto path = cfg.get_string("base.tokenizer");
  if (path.empty())
    throw ConfigError("base.tokenizer: model.tokenizer is bpe, so base.tokenizer must name a llama2.c tokenizer.bin");
  return std::make_shared<BpeTokenizer>(BpeTokenizer::load(path));
}

}  // namespace remix::model
