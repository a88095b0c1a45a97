// llama2.c's BPE tokenizer (tokenizer.bin; docs/architecture.md §6), encoding exactly as llama2.c's run.c does: a dummy
// prefix " ", one piece per UTF-8 code point found in the vocabulary (else its bytes as <0xXX> byte-fallback
// pieces), then repeated merges of the adjacent pair whose merged piece has the highest score.
//
// File format: int32 max_token_length, then per token: float32 score, int32 length, that many bytes. The
// vocabulary size is not in the file: it is the number of records, and must equal the model's.
// Ids: <unk> = 0 (also used as PAD), BOS = 1, EOS = 2. decode drops BOS/EOS/PAD, turns <0xXX> pieces into
// their byte, and drops the leading space of the piece right after BOS (the dummy prefix), so
// decode(encode(s, /*bos=*/true)) == s.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/tokenizer.h"

namespace remix::model {

class BpeTokenizer : public Tokenizer {
 public:
  // Throws DataError naming `path`: missing, truncated record, impossible length, no tokens.
  static BpeTokenizer load(const std::string& path);

  std::string kind() const override { return "bpe"; }
  std::int64_t vocab_size() const override { return static_cast<std::int64_t>(pieces_.size()); }
  std::int64_t bos_id() const override { return 1; }
  std::int64_t eos_id() const override { return 2; }
  std::int64_t pad_id() const override { return 0; }
  std::vector<std::int64_t> encode(const std::string& text, bool bos = false, bool eos = false) const override;
  std::string decode(const std::vector<std::int64_t>& ids) const override;

  const std::string& path() const { return path_; }
  const std::string& piece(std::int64_t id) const { return pieces_.at(static_cast<std::size_t>(id)); }
  float score(std::int64_t id) const { return scores_.at(static_cast<std::size_t>(id)); }
  // The id of an exact piece, or -1.
  std::int64_t find(const std::string& piece) const;

 private:
  std::string path_;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, std::int64_t> ids_;
  std::vector<std::int64_t> byte_ids_;  // byte -> id of its <0xXX> piece, or -1
  std::vector<int> byte_of_piece_;      // id -> byte of a <0xXX> piece, or -1
};

}  // namespace remix::model
