// Running the tokenizer pipeline (see pipeline_tokenizer.h).
#include "model/pipeline_tokenizer.h"

#include <fmt/format.h>

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "model/unicode_text.h"
#include "remix/errors.h"

namespace remix::model {

namespace {

// GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards in byte order.
std::vector<std::string> byte_level_table() {
  std::vector<std::string> table(256);
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    table[b] = encode_utf8(printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++));
  }
  return table;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

std::string nfc_normalize(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  const auto* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return text;
  auto normalized = nfc->normalize(icu::UnicodeString::fromUTF8(text), status);
  if (U_FAILURE(status)) return text;
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

bool space_byte(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

PipelineTokenizer::PipelineTokenizer(TokenizerPipeline p) : p_(std::move(p)) {
  if (p_.byte_level) byte_to_char_ = byte_level_table();
  std::int64_t max_id = p_.bpe.size();
  for (const auto& a : p_.added) max_id = std::max(max_id, a.id + 1);
  added_by_id_.assign(static_cast<std::size_t>(max_id), nullptr);
  // Longest first, so that of two added tokens starting at the same place the longer wins.
  std::stable_sort(p_.added.begin(), p_.added.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
  for (const auto& a : p_.added) added_by_id_[static_cast<std::size_t>(a.id)] = &a;
}

std::int64_t PipelineTokenizer::vocab_size() const { return static_cast<std::int64_t>(added_by_id_.size()); }

void PipelineTokenizer::encode_text(const std::string& text, bool first, std::vector<std::int64_t>& out) const {
  if (text.empty()) return;
  std::string s = p_.nfc ? nfc_normalize(text) : text;
  if (p_.spaces_to_metaspace) s = replace_all(s, " ", kMetaspace);
  if (p_.prepend_metaspace && (!p_.prepend_only_first || first) &&
      !(p_.prepend_unless_present && s.compare(0, kMetaspace.size(), kMetaspace) == 0))
    s = kMetaspace + s;
  std::vector<std::string> words = {s};
  for (auto pattern : p_.splits) {
    std::vector<std::string> next;
    for (const auto& w : words)
      for (auto& piece : split_pretokens(w, pattern)) next.push_back(std::move(piece));
    words = std::move(next);
  }
  for (auto& w : words) {
    if (p_.byte_level) {
      std::string mapped;
      if (p_.byte_level_prefix_space && &w == &words.front() && first && !w.empty() && w[0] != ' ') mapped = byte_to_char_[' '];
      for (unsigned char c : w) mapped += byte_to_char_[c];
      w = std::move(mapped);
    }
    p_.bpe.encode(w, out);
  }
}

std::vector<std::int64_t> PipelineTokenizer::encode(const std::string& text, bool bos, bool eos) const {
  std::vector<std::int64_t> out;
  if (bos && p_.add_bos && p_.bos >= 0) out.push_back(p_.bos);
  std::size_t start = 0, pos = 0;
  bool first = true;
  while (pos < text.size()) {
    const AddedToken* hit = nullptr;
    for (const auto& a : p_.added)
      if (!a.content.empty() && text.compare(pos, a.content.size(), a.content) == 0) {
        hit = &a;
        break;
      }
    if (!hit) {
      ++pos;
      continue;
    }
    std::size_t end = pos;
    if (hit->lstrip)
      while (end > start && space_byte(text[end - 1])) --end;
    encode_text(text.substr(start, end - start), first, out);
    first = false;
    out.push_back(hit->id);
    pos += hit->content.size();
    if (hit->rstrip)
      while (pos < text.size() && space_byte(text[pos])) ++pos;
    start = pos;
  }
  encode_text(text.substr(start), first, out);
  if (eos && p_.eos >= 0) out.push_back(p_.eos);
  return out;
}

std::string PipelineTokenizer::piece(std::int64_t id) const {
  if (id < 0 || id >= vocab_size()) return "";
  if (const auto* a = added_by_id_[static_cast<std::size_t>(id)]) return a->content;
  return id < p_.bpe.size() ? p_.bpe.piece(id) : "";
}

std::string PipelineTokenizer::decode(const std::vector<std::int64_t>& ids) const {
  std::string joined;  // in the vocabulary's spelling, byte fallback pieces as their bytes
  for (auto id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    const auto* a = added_by_id_[static_cast<std::size_t>(id)];
    if (a && a->special) continue;
    if (id == p_.bos || id == p_.eos || id == p_.pad) continue;
    if (!a && !p_.byte_level) {
      if (auto b = p_.bpe.fallback_byte(id)) {
        joined += static_cast<char>(*b);
        continue;
      }
    }
    joined += piece(id);
  }
  if (p_.byte_level) {
    std::string out;
    for (const auto& cp : decode_utf8(joined)) {
      const auto ch = joined.substr(cp.begin, cp.size);
      auto it = std::find(byte_to_char_.begin(), byte_to_char_.end(), ch);
      if (it != byte_to_char_.end()) out += static_cast<char>(it - byte_to_char_.begin());
      else out += ch;  // an added token's text
    }
    return out;
  }
  auto out = replace_all(joined, kMetaspace, " ");
  int strip = p_.strip_leading_spaces;
  std::size_t k = 0;
  while (strip-- > 0 && k < out.size() && out[k] == ' ') ++k;
  return out.substr(k);
}

}  // namespace remix::model
