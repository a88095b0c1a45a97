// The split patterns (see pretokenizer.h). Each matcher returns the length in code points of the match at i, or 0.
#include "model/pretokenizer.h"

#include "model/unicode_text.h"

namespace remix::model {

namespace {

class Matcher {
 public:
  explicit Matcher(const std::vector<CodePoint>& cps) : cps_(cps), n_(cps.size()) {}

  std::size_t match(std::size_t i, SplitPattern p) const {
    switch (p) {
      case SplitPattern::Gpt2: return gpt2(i);
      case SplitPattern::Llama3: return llama3(i, 3);
      case SplitPattern::Qwen2: return llama3(i, 1);
      case SplitPattern::Digits: return number(i) ? 1 : 0;
    }
    return 0;
  }

 private:
  char32_t at(std::size_t i) const { return i < n_ ? cps_[i].value : 0; }
  bool letter(std::size_t i) const { return i < n_ && is_letter(cps_[i].value); }
  bool number(std::size_t i) const { return i < n_ && is_number(cps_[i].value); }
  bool space(std::size_t i) const { return i < n_ && is_whitespace(cps_[i].value); }
  bool other(std::size_t i) const { return i < n_ && !letter(i) && !number(i) && !space(i); }
  bool newline(std::size_t i) const { return at(i) == U'\r' || at(i) == U'\n'; }
  template <class Pred>
  std::size_t run(std::size_t i, Pred pred) const {
    std::size_t k = i;
    while (k < n_ && pred(k)) ++k;
    return k;
  }

  // 's 't 're 've 'm 'll 'd, optionally ASCII case-insensitive.
  std::size_t contraction(std::size_t i, bool fold) const {
    if (at(i) != U'\'') return 0;
    auto c = [&](std::size_t k) { return fold && at(k) < 128 ? static_cast<char32_t>(std::tolower(static_cast<int>(at(k)))) : at(k); };
    const char32_t a = c(i + 1), b = c(i + 2);
    if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
    if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
    return 0;
  }

  // \s+(?!\S)|\s+ at a whitespace run: all of it at the end of the text, else all but its last character (which
  // then leads the next piece), else the one character.
  std::size_t trailing_space(std::size_t i) const {
    const std::size_t e = run(i, [&](std::size_t k) { return space(k); });
    if (e == n_) return e - i;
    return e - i >= 2 ? e - i - 1 : 1;
  }

  std::size_t gpt2(std::size_t i) const {
    if (auto len = contraction(i, false)) return len;
    const std::size_t j = at(i) == U' ' ? i + 1 : i;
    if (letter(j)) return run(j, [&](std::size_t k) { return letter(k); }) - i;
    if (number(j)) return run(j, [&](std::size_t k) { return number(k); }) - i;
    if (other(j)) return run(j, [&](std::size_t k) { return other(k); }) - i;
    if (space(i)) return trailing_space(i);
    return 0;
  }

  std::size_t llama3(std::size_t i, std::size_t max_digits) const {
    if (auto len = contraction(i, true)) return len;
    if (i < n_ && !newline(i) && !letter(i) && !number(i) && letter(i + 1))
      return run(i + 1, [&](std::size_t k) { return letter(k); }) - i;
    if (letter(i)) return run(i, [&](std::size_t k) { return letter(k); }) - i;
    if (number(i)) return run(i, [&](std::size_t k) { return number(k) && k - i < max_digits; }) - i;
    const std::size_t j = at(i) == U' ' ? i + 1 : i;
    if (other(j)) {
      const std::size_t k = run(j, [&](std::size_t k) { return other(k); });
      return run(k, [&](std::size_t k) { return newline(k); }) - i;
    }
    if (space(i)) {
      const std::size_t e = run(i, [&](std::size_t k) { return space(k); });
      for (std::size_t k = e; k > i; --k)  // \s*[\r\n]+: up to the run's last newline
        if (newline(k - 1)) return k - i;
      return trailing_space(i);
    }
    return 0;
  }

  const std::vector<CodePoint>& cps_;
  std::size_t n_;
};

}  // namespace

std::vector<std::string> split_pretokens(const std::string& text, SplitPattern p) {
  const auto cps = decode_utf8(text);
  const Matcher m(cps);
  std::vector<std::string> out;
  std::size_t gap_begin = 0, i = 0;  // gap: code points no match covered, kept as their own piece
  auto byte_at = [&](std::size_t k) { return k < cps.size() ? cps[k].begin : static_cast<std::uint32_t>(text.size()); };
  while (i < cps.size()) {
    const std::size_t len = m.match(i, p);
    if (len == 0) {
      ++i;
      continue;
    }
    if (gap_begin < i) out.push_back(text.substr(byte_at(gap_begin), byte_at(i) - byte_at(gap_begin)));
    out.push_back(text.substr(byte_at(i), byte_at(i + len) - byte_at(i)));
    i += len;
    gap_begin = i;
  }
  if (gap_begin < cps.size()) out.push_back(text.substr(byte_at(gap_begin)));
  return out;
}

std::optional<SplitPattern> split_pattern_of_regex(const std::string& regex) {
  static const std::pair<const char*, SplitPattern> known[] = {
      {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)", SplitPattern::Gpt2},
      {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
       SplitPattern::Llama3},
      {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
       SplitPattern::Qwen2},
      {R"(\p{N})", SplitPattern::Digits},
  };
  for (const auto& [r, p] : known)
    if (regex == r) return p;
  return std::nullopt;
}

std::optional<std::vector<SplitPattern>> split_patterns_of_gguf_pre(const std::string& pre) {
  if (pre == "default" || pre == "gpt-2" || pre == "gpt2") return std::vector{SplitPattern::Gpt2};
  if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3") return std::vector{SplitPattern::Llama3};
  if (pre == "qwen2") return std::vector{SplitPattern::Qwen2};
  if (pre == "smollm") return std::vector{SplitPattern::Digits, SplitPattern::Gpt2};
  return std::nullopt;
}

}  // namespace remix::model
