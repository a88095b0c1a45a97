// llama2.c BPE tokenizer: loading, encoding with merges by score, decoding with byte fallback (see
// bpe_tokenizer.h).
#include "model/bpe_tokenizer.h"

#include <fmt/format.h>

#include <cstdio>
#include <limits>

#include "model/binary_file.h"
#include "remix/errors.h"

namespace remix::model {

namespace {

// "<0x0A>" -> 10; anything else -> -1.
int byte_of(const std::string& piece) {
  unsigned value = 0;
  char tail = 0;
  if (piece.size() == 6 && std::sscanf(piece.c_str(), "<0x%2X%c", &value, &tail) == 2 && tail == '>') {
    return static_cast<int>(value);
  }
  return -1;
}

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

BpeTokenizer BpeTokenizer::load(const std::string& path) {
  BinaryFile file(path, "llama2.c tokenizer");
  BpeTokenizer t;
  t.path_ = path;
  const auto max_len = file.read_i32("the header (max_token_length)");
  if (max_len <= 0 || max_len > (1 << 20))
    throw DataError(fmt::format("{}: impossible max_token_length {} in the header; is this a llama2.c tokenizer.bin?",
                                path, max_len));
  while (!file.at_end()) {
    const auto id = t.pieces_.size();
    const auto what = fmt::format("token {}", id);
    const float score = file.read_f32(what + " (score)");
    const auto len = file.read_i32(what + " (length)");
    if (len < 0 || len > max_len)
      throw DataError(fmt::format("{}: token {} at offset {} has length {}, outside [0, max_token_length={}]", path, id,
                                  file.offset() - 4, len, max_len));
    t.pieces_.push_back(file.read_bytes(static_cast<std::size_t>(len), what + " (bytes)"));
    t.scores_.push_back(score);
  }
  if (t.pieces_.size() < 3)
    throw DataError(fmt::format("{}: holds {} tokens; a llama2.c tokenizer has at least <unk>, <s> and </s>", path,
                                t.pieces_.size()));
  t.byte_ids_.assign(256, -1);
  t.byte_of_piece_.assign(t.pieces_.size(), -1);
  for (std::size_t id = 0; id < t.pieces_.size(); ++id) {
    t.ids_.emplace(t.pieces_[id], static_cast<std::int64_t>(id));  // the first of duplicate pieces wins
    int b = byte_of(t.pieces_[id]);
    if (b >= 0) {
      t.byte_of_piece_[id] = b;
      if (t.byte_ids_[static_cast<std::size_t>(b)] < 0)
        t.byte_ids_[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(id);
    }
  }
  return t;
}

std::int64_t BpeTokenizer::find(const std::string& piece) const {
  auto it = ids_.find(piece);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<std::int64_t> BpeTokenizer::encode(const std::string& text, bool bos, bool eos) const {
  std::vector<std::int64_t> ids;
  auto push_piece_or_bytes = [&](const std::string& chars) {
    auto id = find(chars);
    if (id >= 0) {
      ids.push_back(id);
      return;
    }
    for (unsigned char c : chars) {
      auto b = byte_ids_[c];
      if (b < 0)
        throw DataError(fmt::format("{}: the tokenizer has no byte-fallback piece <0x{:02X}> for a byte of the text",
                                    path_, static_cast<unsigned>(c)));
      ids.push_back(b);
    }
  };
  if (!text.empty()) push_piece_or_bytes(" ");  // the dummy prefix of sentencepiece's add_dummy_prefix
  // One UTF-8 code point (a lead byte and up to three continuation bytes) at a time, as run.c groups them.
  for (std::size_t i = 0; i < text.size();) {
    std::size_t j = i + 1;
    while (j < text.size() && j - i < 4 && is_continuation(static_cast<unsigned char>(text[j]))) ++j;
    push_piece_or_bytes(text.substr(i, j - i));
    i = j;
  }

  // Merge the best-scoring adjacent pair until none merges. pair_id[i] / pair_score[i] describe ids[i]+ids[i+1];
  // after a merge only the two pairs touching it change.
  constexpr float kNone = -std::numeric_limits<float>::infinity();
  std::vector<std::int64_t> pair_id;
  std::vector<float> pair_score;
  auto rate = [&](std::size_t i) {
    auto id = find(pieces_[static_cast<std::size_t>(ids[i])] + pieces_[static_cast<std::size_t>(ids[i + 1])]);
    pair_id[i] = id;
    pair_score[i] = id >= 0 ? scores_[static_cast<std::size_t>(id)] : kNone;
  };
  if (ids.size() >= 2) {
    pair_id.resize(ids.size() - 1);
    pair_score.resize(ids.size() - 1);
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) rate(i);
  }
  while (!pair_score.empty()) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < pair_score.size(); ++i)
      if (pair_score[i] > pair_score[best]) best = i;  // strictly greater: the first of equal scores wins (run.c)
    if (pair_id[best] < 0) break;
    ids[best] = pair_id[best];
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    pair_id.erase(pair_id.begin() + static_cast<std::ptrdiff_t>(best));
    pair_score.erase(pair_score.begin() + static_cast<std::ptrdiff_t>(best));
    if (best > 0) rate(best - 1);
    if (best < pair_score.size()) rate(best);
  }
  if (bos) ids.insert(ids.begin(), bos_id());
  if (eos) ids.push_back(eos_id());
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<std::int64_t>& ids) const {
  std::string out;
  std::int64_t previous = -1;
  for (auto id : ids) {
    if (id < 0 || id >= vocab_size())
      throw std::out_of_range(fmt::format("token id {} is outside the vocabulary of {} ({})", id, vocab_size(), path_));
    const bool after_bos = previous == bos_id();
    previous = id;
    if (id == bos_id() || id == eos_id() || id == pad_id()) continue;
    int b = byte_of_piece_[static_cast<std::size_t>(id)];
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    const auto& p = pieces_[static_cast<std::size_t>(id)];
    out += (after_bos && !p.empty() && p[0] == ' ') ? p.substr(1) : p;
  }
  return out;
}

}  // namespace remix::model
