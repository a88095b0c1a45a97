// The tokenizer of real models, as Hugging Face's tokenizers library runs it: added tokens split out first, then
// for each stretch of ordinary text a normalizer (SentencePiece style: prepend "▁", spaces to "▁"), a
// pre-tokenizer (split patterns, byte-level mapping), the BPE model, and on the way back a decoder (byte-level,
// or "▁" to spaces with <0xXX> bytes fused). tokenizer_json.h builds one from tokenizer.json and gguf_tokenizer.h
// from a GGUF file's metadata; this file only runs the pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/bpe_model.h"
#include "model/pretokenizer.h"
#include "model/tokenizer.h"

namespace remix::model {

// SentencePiece's word-boundary mark "▁" (U+2581), which stands for a space in vocabularies and pipelines.
inline const std::string kMetaspace = "\xE2\x96\x81";

struct AddedToken {
  std::string content;
  std::int64_t id = -1;
  bool special = false;  // decoded as nothing (BOS, EOS, chat markers)
  bool lstrip = false, rstrip = false;
};

struct TokenizerPipeline {
  std::string source;  // the file, for messages
  std::string kind;    // "hf" (tokenizer.json) or "gguf"
  std::vector<AddedToken> added;
  bool nfc = false;                   // Unicode NFC normalization first (Qwen2)
  // Normalizer / Metaspace: SentencePiece's whitespace handling.
  bool prepend_metaspace = false;     // "▁" before each stretch of text
  bool prepend_only_first = false;    // ... only before the text's first stretch (Metaspace prepend_scheme first)
  bool prepend_unless_present = false;  // ... unless the stretch starts with "▁" already (the Metaspace rule)
  bool spaces_to_metaspace = false;   // " " -> "▁"
  // Pre-tokenizer.
  std::vector<SplitPattern> splits;   // applied in order, each to the pieces of the previous one
  bool byte_level = false;            // GPT-2's byte-to-character mapping before BPE (and back when decoding)
  bool byte_level_prefix_space = false;
  BpeModel bpe;
  // Decoder (byte-level decodes by the inverse mapping).
  int strip_leading_spaces = 0;       // after "▁" -> " " (SentencePiece's dummy prefix)
  // Special ids (-1: none). encode(text, bos=true) adds BOS only where the model's convention does (add_bos:
  // add_bos_token of tokenizer_config.json or GGUF); encode(text, ..., eos=true) always ends with EOS, which is how
  // the trainer marks the end of an answer.
  std::int64_t bos = -1, eos = -1, pad = -1;
  bool add_bos = false;
};

class PipelineTokenizer : public Tokenizer {
 public:
  explicit PipelineTokenizer(TokenizerPipeline p);

  std::string kind() const override { return p_.kind; }
  std::int64_t vocab_size() const override;
  std::int64_t bos_id() const override { return p_.bos; }
  std::int64_t eos_id() const override { return p_.eos; }
  std::int64_t pad_id() const override { return p_.pad >= 0 ? p_.pad : p_.eos; }
  std::vector<std::int64_t> encode(const std::string& text, bool bos = false, bool eos = false) const override;
  std::string decode(const std::vector<std::int64_t>& ids) const override;

  // The text of one token as the vocabulary spells it (byte-level pieces shown as their bytes).
  std::string piece(std::int64_t id) const;
  const TokenizerPipeline& pipeline() const { return p_; }

 private:
  void encode_text(const std::string& text, bool first, std::vector<std::int64_t>& out) const;
  TokenizerPipeline p_;
  std::vector<std::string> byte_to_char_;       // byte-level: byte -> its UTF-8 character
  std::vector<const AddedToken*> added_by_id_;  // id -> added token (or null)
};

}  // namespace remix::model
