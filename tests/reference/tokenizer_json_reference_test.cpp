// remix's tokenizer.json reader against Hugging Face tokenizers on the same files (tests/reference/
// reference_tokenize.py): SmolLM2's tokenizer, transformers' conversions of llama.cpp's Llama-3, Qwen2, Llama-2
// SentencePiece and GPT-2 vocabularies, and GPT-2's own tokenizer.json; on a corpus of Unicode, whitespace runs,
// digits, code and the first records of every benchmark in ../shared/datasets. Every id must agree, and decoding
// must give the text back where the tokenizer can represent it.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <nlohmann/json.hpp>

#include "model/tokenizer_json.h"
#include "support/reference_data.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

TEST(TokenizerJsonReference, IdsEqualHuggingFaceTokenizers) {
  test::TempDir tmp;
  std::vector<std::string> argv = {test::reference_python(), test::source_dir() + "/tests/reference/reference_tokenize.py",
                                   tmp.path().string(), test::llama_vocab_dir(), test::smollm2_dir() + "/hf"};
  if (auto shared = test::shared_dir()) argv.push_back(*shared);
  auto run = test::run_command(argv);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto reference = nlohmann::json::parse(test::read_file(tmp.file("reference.json")));
  const auto corpus = reference["corpus"].get<std::vector<std::string>>();
  ASSERT_GT(corpus.size(), 100u);
  for (const auto& t : reference["tokenizers"]) {
    const auto name = t["name"].get<std::string>();
    auto tokenizer = load_tokenizer_json(t["path"].get<std::string>());
    int wrong = 0;
    for (std::size_t i = 0; i < corpus.size(); ++i) {
      auto expected = t["ids"][i].get<std::vector<std::int64_t>>();
      auto got = tokenizer->encode(corpus[i]);
      if (got != expected && ++wrong <= 3)
        ADD_FAILURE() << name << ": text " << i << " '" << corpus[i].substr(0, 80) << "'\n  remix      "
                      << fmt::format("{}", fmt::join(got, " ")) << "\n  tokenizers "
                      << fmt::format("{}", fmt::join(expected, " "));
    }
    EXPECT_EQ(wrong, 0) << name << ": " << wrong << " of " << corpus.size() << " texts differ";
    std::cout << name << ": " << corpus.size() - wrong << "/" << corpus.size() << " texts identical\n";
  }
}

}  // namespace
}  // namespace remix::model
