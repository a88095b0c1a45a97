// The Unicode facts tokenizers need, from ICU: UTF-8 split into code points that remember their bytes, and the
// character classes the pre-tokenizer patterns use (\p{L}, \p{N}, \s). Text that is not valid UTF-8 is still
// split — each bad byte is its own "character" of class "other" — so no input is refused or lost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace remix::model {

struct CodePoint {
  char32_t value;      // U+FFFD for a byte that is not valid UTF-8
  std::uint32_t begin;  // byte offset in the text
  std::uint32_t size;   // bytes (1..4)
};

std::vector<CodePoint> decode_utf8(const std::string& text);
std::string encode_utf8(char32_t cp);

bool is_letter(char32_t cp);      // \p{L}
bool is_number(char32_t cp);      // \p{N}
bool is_whitespace(char32_t cp);  // \s: Unicode White_Space

}  // namespace remix::model
