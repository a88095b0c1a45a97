// Tokenizers: the interface the trainer and generation use, and the byte-level tokenizer that built-in base
// models use by default. The llama2.c BPE tokenizer is in bpe_tokenizer.h.
//
// Byte-level ids: byte b is id b (0..255), then BOS = 256, EOS = 257, PAD = 258; vocabulary 259. Decoding
// drops BOS, EOS and PAD and returns the bytes as they are (no UTF-8 repair), so decode(encode(s)) == s.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace remix::config {
class ResolvedConfig;
}

namespace remix::model {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string kind() const = 0;  // "byte" or "bpe", as in model.tokenizer
  virtual std::int64_t vocab_size() const = 0;
  virtual std::int64_t bos_id() const = 0;
  virtual std::int64_t eos_id() const = 0;
  virtual std::int64_t pad_id() const = 0;
  virtual std::vector<std::int64_t> encode(const std::string& text, bool bos = false, bool eos = false) const = 0;
  // The text of `ids`; BOS, EOS and PAD produce nothing.
  virtual std::string decode(const std::vector<std::int64_t>& ids) const = 0;
};

class ByteTokenizer : public Tokenizer {
 public:
  static constexpr std::int64_t kBos = 256, kEos = 257, kPad = 258, kVocab = 259;
  std::string kind() const override { return "byte"; }
  std::int64_t vocab_size() const override { return kVocab; }
  std::int64_t bos_id() const override { return kBos; }
  std::int64_t eos_id() const override { return kEos; }
  std::int64_t pad_id() const override { return kPad; }
  std::vector<std::int64_t> encode(const std::string& text, bool bos = false, bool eos = false) const override;
  std::string decode(const std::vector<std::int64_t>& ids) const override;
};

// DataError naming both files when the tokenizer's vocabulary is not the model's: they do not belong together.
void check_vocabulary(const Tokenizer& tokenizer, std::int64_t model_vocab, const std::string& tokenizer_file,
                      const std::string& model_file);

// The tokenizer model.tokenizer names: byte, or bpe read from base.tokenizer (ConfigError naming
// base.tokenizer when it is empty, DataError naming the file when it cannot be read).
std::shared_ptr<Tokenizer> make_tokenizer(const config::ResolvedConfig& cfg);

}  // namespace remix::model
