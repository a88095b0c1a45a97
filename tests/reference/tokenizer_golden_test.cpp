// remix's GGUF tokenizers against llama.cpp's own golden ids (its tokenizer tests' vocabularies: GPT-2, Llama-3
// BPE, Qwen2, Llama-2 SentencePiece, Phi-3; fetched by tests/reference/fetch_llama_vocabs.sh): every test string of
// each .inp must give exactly the ids of its line in .out (llama.cpp tokenizes them without BOS).
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <sstream>

#include "model/gguf_tokenizer.h"
#include "support/reference_data.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

// The strings of a .inp file: separated by "\n__ggml_vocab_test__\n".
std::vector<std::string> golden_inputs(const std::string& path) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  auto text = test::read_file(path);
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < text.size();) {
    auto next = text.find(sep, pos);
    if (next == std::string::npos) break;
    out.push_back(text.substr(pos, next - pos));
    pos = next + sep.size();
  }
  return out;
}

std::vector<std::vector<std::int64_t>> golden_outputs(const std::string& path) {
  std::istringstream in(test::read_file(path));
  std::vector<std::vector<std::int64_t>> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ids(line);
    out.emplace_back();
    for (std::int64_t id; ids >> id;) out.back().push_back(id);
  }
  return out;
}

class GgufGoldenIds : public testing::TestWithParam<std::string> {};

TEST_P(GgufGoldenIds, EveryTestStringGivesLlamaCppsIds) {
  const auto base = test::llama_vocab_dir() + "/ggml-vocab-" + GetParam() + ".gguf";
  auto tokenizer = load_gguf_tokenizer(GgufFile(base));
  auto inputs = golden_inputs(base + ".inp");
  auto expected = golden_outputs(base + ".out");
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GT(inputs.size(), 20u);
  int wrong = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto got = tokenizer->encode(inputs[i]);
    if (got != expected[i] && ++wrong <= 5)
      ADD_FAILURE() << GetParam() << " string " << i << " '" << inputs[i] << "'\n  remix     " << fmt::format("{}", fmt::join(got, " "))
                    << "\n  llama.cpp " << fmt::format("{}", fmt::join(expected[i], " "));
  }
  EXPECT_EQ(wrong, 0) << wrong << " of " << inputs.size() << " strings differ";
}

INSTANTIATE_TEST_SUITE_P(LlamaCppVocabularies, GgufGoldenIds,
                         testing::Values("gpt-2", "llama-bpe", "qwen2", "llama-spm", "phi-3"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n) if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace remix::model
