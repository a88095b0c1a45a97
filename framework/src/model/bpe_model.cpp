// BPE merging (see bpe_model.h): symbols in a linked list, candidate pairs in a heap, stale candidates skipped.
#include "model/bpe_model.h"

#include <fmt/format.h>

#include <queue>

#include "model/unicode_text.h"
#include "remix/errors.h"

namespace remix::model {

BpeModel::BpeModel(std::vector<std::string> pieces, Order order, const std::vector<float>& scores,
                   const std::vector<std::pair<std::string, std::string>>& merges, const std::string& source)
    : pieces_(std::move(pieces)), order_(order), scores_(scores) {
  ids_.reserve(pieces_.size());
  for (std::size_t i = 0; i < pieces_.size(); ++i) ids_.emplace(pieces_[i], static_cast<std::int64_t>(i));
  if (order == Order::PieceScores && scores_.size() != pieces_.size())
    throw DataError(fmt::format("{}: {} scores for {} pieces", source, scores_.size(), pieces_.size()));
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = id_of(a), ib = id_of(b), im = id_of(a + b);
    if (!ia || !ib || !im)
      throw DataError(fmt::format("{}: merge {} ('{}' '{}') names a piece that is not in the vocabulary", source,
                                  rank, a, b));
    merges_.emplace(std::make_pair(*ia, *ib), std::make_pair(static_cast<std::int64_t>(rank), *im));
  }
}

std::optional<std::int64_t> BpeModel::id_of(const std::string& piece) const {
  auto it = ids_.find(piece);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<unsigned char> BpeModel::fallback_byte(std::int64_t id) const {
  const auto& p = piece(id);
  if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>') return std::nullopt;
  try {
    return static_cast<unsigned char>(std::stoi(p.substr(3, 2), nullptr, 16));
  } catch (...) {
    return std::nullopt;
  }
}

void BpeModel::encode(const std::string& word, std::vector<std::int64_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges)
    if (auto id = id_of(word)) {
      out.push_back(*id);
      return;
    }
  struct Symbol {
    std::uint32_t begin, size;
    std::int64_t id;  // -1: not a piece
    int prev, next;
  };
  std::vector<Symbol> sym;
  for (const auto& cp : decode_utf8(word)) {
    auto id = id_of(word.substr(cp.begin, cp.size));
    const int k = static_cast<int>(sym.size());
    sym.push_back({cp.begin, cp.size, id.value_or(-1), k - 1, k + 1});
  }
  sym.back().next = -1;

  struct Candidate {
    double priority;  // lower merges first
    int left;
    std::uint32_t size;  // both symbols' bytes when queued: a changed size means the candidate is stale
    std::int64_t merged;
    bool operator<(const Candidate& o) const {  // std::priority_queue pops the "largest"
      return priority != o.priority ? priority > o.priority : left > o.left;
    }
  };
  std::priority_queue<Candidate> heap;
  auto consider = [&](int l) {
    if (l < 0 || sym[l].next < 0) return;
    const auto& a = sym[l];
    const auto& b = sym[a.next];
    if (order_ == Order::MergeRanks) {
      if (a.id < 0 || b.id < 0) return;
      auto it = merges_.find({a.id, b.id});
      if (it != merges_.end())
        heap.push({static_cast<double>(it->second.first), l, a.size + b.size, it->second.second});
    } else {
      auto id = id_of(word.substr(a.begin, a.size + b.size));
      if (id) heap.push({-static_cast<double>(scores_[static_cast<std::size_t>(*id)]), l, a.size + b.size, *id});
    }
  };
  for (int l = 0; l < static_cast<int>(sym.size()); ++l) consider(l);
  while (!heap.empty()) {
    const auto c = heap.top();
    heap.pop();
    auto& a = sym[c.left];
    if (a.size == 0 || a.next < 0 || a.size + sym[a.next].size != c.size) continue;  // merged away since
    auto& b = sym[a.next];
    a.size += b.size;
    a.id = c.merged;
    b.size = 0;
    a.next = b.next;
    if (a.next >= 0) sym[a.next].prev = c.left;
    consider(a.prev);
    consider(c.left);
  }
  for (int k = 0; k >= 0; k = sym[k].next) {
    const auto& s = sym[k];
    if (s.id >= 0) {
      out.push_back(s.id);
    } else if (byte_fallback) {
      for (std::uint32_t i = 0; i < s.size; ++i) {
        auto id = id_of(fmt::format("<0x{:02X}>", static_cast<unsigned char>(word[s.begin + i])));
        if (id) out.push_back(*id);
        else if (unk_id >= 0) out.push_back(unk_id);
      }
    } else if (unk_id >= 0) {
      out.push_back(unk_id);
    }
  }
}

}  // namespace remix::model
