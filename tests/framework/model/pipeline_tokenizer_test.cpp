// Real tokenizers without a reference installed: the split patterns on hand-worked strings, the BPE core by ranks
// and by scores with byte fallback, GPT-2's tokenizer.json from ../shared against llama.cpp's golden ids and
// round-tripping through decode, and the ../shared GGUF vocabularies (damaged by a text conversion) refused at the
// first length that lies. (Against tokenizers and llama.cpp's own files: tests/reference.)
#include <gtest/gtest.h>

#include <sstream>

#include "model/bpe_model.h"
#include "model/gguf_file.h"
#include "model/pretokenizer.h"
#include "model/tokenizer_json.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

using Pieces = std::vector<std::string>;

TEST(Pretokenizer, Gpt2Pattern) {
  EXPECT_EQ(split_pretokens("Hello  world's 123!!", SplitPattern::Gpt2),
            (Pieces{"Hello", " ", " world", "'s", " 123", "!!"}));
  // " ?\p{L}+" takes a space, never a tab: the second tab is its own piece.
  EXPECT_EQ(split_pretokens("a\t\tb  ", SplitPattern::Gpt2), (Pieces{"a", "\t", "\t", "b", "  "}));
  EXPECT_EQ(split_pretokens("I'LL", SplitPattern::Gpt2), (Pieces{"I", "'", "LL"}));  // case-sensitive
}

TEST(Pretokenizer, Llama3AndQwen2Patterns) {
  EXPECT_EQ(split_pretokens("abc1234 \n\n x", SplitPattern::Llama3), (Pieces{"abc", "123", "4", " \n\n", " x"}));
  EXPECT_EQ(split_pretokens("abc1234", SplitPattern::Qwen2), (Pieces{"abc", "1", "2", "3", "4"}));
  EXPECT_EQ(split_pretokens("I'LL (go)", SplitPattern::Llama3), (Pieces{"I", "'LL", " (", "go", ")"}));
  EXPECT_EQ(split_pretokens("naïve café", SplitPattern::Llama3), (Pieces{"naïve", " café"}));
}

TEST(Pretokenizer, DigitsAndGapsKeepEveryByte) {
  EXPECT_EQ(split_pretokens("ab12 c", SplitPattern::Digits), (Pieces{"ab", "1", "2", " c"}));
  std::string bad = "x\xff\xfey 1";  // not UTF-8: kept, never dropped
  std::string joined;
  for (const auto& p : split_pretokens(bad, SplitPattern::Gpt2)) joined += p;
  EXPECT_EQ(joined, bad);
}

TEST(BpeModel, MergesByRankAndByScoreWithByteFallback) {
  std::vector<std::string> pieces = {"a", "b", "c", "ab", "bc", "abc", "<0x7A>"};
  BpeModel ranks(pieces, BpeModel::Order::MergeRanks, {}, {{"b", "c"}, {"a", "b"}, {"a", "bc"}}, "test");
  std::vector<std::int64_t> out;
  ranks.encode("abc", out);  // b+c first (rank 0), then a+bc
  EXPECT_EQ(out, (std::vector<std::int64_t>{5}));
  BpeModel scores(pieces, BpeModel::Order::PieceScores, {0, 0, 0, -1, -2, -3, 0}, {}, "test");
  scores.byte_fallback = true;
  out.clear();
  scores.encode("abcz", out);  // ab scores higher than bc; abc from ab + c; z is not a piece: its byte
  EXPECT_EQ(out, (std::vector<std::int64_t>{5, 6}));
  EXPECT_NE(test::error_message<DataError>([&] { BpeModel(pieces, BpeModel::Order::MergeRanks, {}, {{"a", "z"}}, "f"); })
                .find("not in the vocabulary"),
            std::string::npos);
}

TEST(TokenizerJson, Gpt2ReproducesLlamaCppsGoldenIdsOutsideItsAddedSpaceTokensAndDecodes) {
  REMIX_REQUIRE_SHARED(shared);
  auto tokenizer = load_tokenizer_json(shared + "/models/gpt2-tokenizer/tokenizer.json");
  const std::string sep = "\n__ggml_vocab_test__\n";
  auto text = test::read_file(shared + "/models/vocab/ggml-vocab-gpt-2.gguf.inp");
  std::istringstream out(test::read_file(shared + "/models/vocab/ggml-vocab-gpt-2.gguf.out"));
  int checked = 0;
  for (std::size_t pos = 0, next; (next = text.find(sep, pos)) != std::string::npos; pos = next + sep.size()) {
    const auto input = text.substr(pos, next - pos);
    std::string line;
    std::getline(out, line);
    std::istringstream ids(line);
    std::vector<std::int64_t> expected;
    for (std::int64_t id; ids >> id;) expected.push_back(id);
    auto got = tokenizer->encode(input);
    EXPECT_EQ(tokenizer->decode(got), input);
    // This tokenizer.json (Hugging Face's tiny-random-gpt2) adds 38 tokens for runs of 2 to 39 spaces on top of
    // GPT-2's vocabulary, so llama.cpp's GPT-2 ids hold only where no such run occurs.
    if (input.find("  ") != std::string::npos) continue;
    EXPECT_EQ(got, expected) << "'" << input << "'";
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

TEST(TokenizerJson, UnsupportedComponentsAreNamed) {
  test::TempDir dir;
  auto path = dir.write("tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {}}})");
  EXPECT_NE(test::error_message<DataError>([&] { load_tokenizer_json(path); }).find("the model (remix runs BPE)"),
            std::string::npos);
  path = dir.write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
      "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"}})");
  EXPECT_NE(test::error_message<DataError>([&] { load_tokenizer_json(path); }).find("Split pre-tokenizer"),
            std::string::npos);
}

TEST(GgufFile, TheDamagedSharedVocabulariesAreRefusedAtTheLyingLength) {
  REMIX_REQUIRE_SHARED(shared);
  for (auto name : {"gpt-2", "phi-3"}) {
    const auto path = shared + "/models/vocab/ggml-vocab-" + name + ".gguf";
    auto msg = test::error_message<DataError>([&] { GgufFile f(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("claims"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace remix::model
