// The byte-pair-encoding model shared by every real tokenizer remix reads (tokenizer.json's BPE, GGUF's gpt2 and
// llama tokenizers): a vocabulary of pieces, and a merge order — merge ranks (Hugging Face and GPT-2 style: the
// lowest-ranked adjacent pair merges first) or piece scores (SentencePiece / llama.cpp's llama tokenizer: the
// adjacent pair whose concatenation has the highest score merges first); ties go to the leftmost pair. Pieces that
// end up outside the vocabulary become their bytes' <0xXX> pieces (byte fallback) or the unknown token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace remix::model {

class BpeModel {
 public:
  enum class Order { MergeRanks, PieceScores };

  // `pieces[id]` is token id's text; `scores` (PieceScores) one per piece; `merges` (MergeRanks) in rank order.
  // DataError naming `source` when a merge names a piece that is not in the vocabulary.
  BpeModel(std::vector<std::string> pieces, Order order, const std::vector<float>& scores,
           const std::vector<std::pair<std::string, std::string>>& merges, const std::string& source);
  BpeModel() = default;

  bool byte_fallback = false;   // unknown pieces -> <0xXX> pieces
  std::int64_t unk_id = -1;     // otherwise -> this id (-1: dropped)
  bool ignore_merges = false;   // a word that is a piece is that piece, merges or not (Llama-3)

  std::int64_t size() const { return static_cast<std::int64_t>(pieces_.size()); }
  const std::string& piece(std::int64_t id) const { return pieces_.at(static_cast<std::size_t>(id)); }
  std::optional<std::int64_t> id_of(const std::string& piece) const;
  // The byte a <0xXX> piece stands for.
  std::optional<unsigned char> fallback_byte(std::int64_t id) const;

  // Appends the ids of one pre-tokenized word (its symbols are its UTF-8 characters).
  void encode(const std::string& word, std::vector<std::int64_t>& out) const;

 private:
  std::vector<std::string> pieces_;
  std::unordered_map<std::string, std::int64_t> ids_;
  Order order_ = Order::MergeRanks;
  std::vector<float> scores_;
  struct PairHash {
    std::size_t operator()(const std::pair<std::int64_t, std::int64_t>& p) const {
      return std::hash<std::int64_t>()(p.first * 1000003 + p.second);
    }
  };
  std::unordered_map<std::pair<std::int64_t, std::int64_t>, std::pair<std::int64_t, std::int64_t>, PairHash>
      merges_;  // (left id, right id) -> (rank, merged id)
};

}  // namespace remix::model
