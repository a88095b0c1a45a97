// Pre-tokenization: splitting text into the pieces BPE runs on, by the split patterns of the tokenizer families
// remix supports, written as matchers over code points rather than handed to a regex engine (std::regex has no
// \p{L}; these are exactly the regexes below, alternative by alternative, leftmost-first as the regex engines of
// Hugging Face tokenizers and llama.cpp match them):
//   Gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|
//           \s+(?!\S)|\s+
//   Qwen2:  Llama3 with \p{N} for \p{N}{1,3}
//   Digits: \p{N} (each digit its own piece: Hugging Face's Digits(individual_digits), SmolLM's first split)
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace remix::model {

enum class SplitPattern { Gpt2, Llama3, Qwen2, Digits };

// The matches of `p` in `text` and the text between them, in order (their concatenation is `text`).
std::vector<std::string> split_pretokens(const std::string& text, SplitPattern p);

// The pattern a tokenizer.json Split regex is, or nullopt for one remix does not implement.
std::optional<SplitPattern> split_pattern_of_regex(const std::string& regex);

// The patterns llama.cpp applies for a GGUF tokenizer.ggml.pre name, or nullopt for an unknown name.
std::optional<std::vector<SplitPattern>> split_patterns_of_gguf_pre(const std::string& pre);

}  // namespace remix::model
