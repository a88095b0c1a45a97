// Tokenizers: byte-level round trips and ids; llama2.c BPE (tok512.bin of stories260K) round trips on real
// text (GSM8K questions and answers with Unicode punctuation, HumanEval code), byte fallback for characters
// outside its vocabulary, merges run to completion, the golden ids decode to the golden text, and a broken
// tokenizer file is refused naming it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "model/bpe_tokenizer.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

TEST(ByteTokenizer, RoundTripsAnyBytesAndPlacesSpecialIdsAfterThem) {
  ByteTokenizer t;
  const std::string text = std::string("caf\xc3\xa9 ") + '\0' + "\xff\n end";
  auto ids = t.encode(text, true, true);
  EXPECT_EQ(ids.front(), 256);
  EXPECT_EQ(ids.back(), 257);
  EXPECT_EQ(ids[1], 'c');
  EXPECT_EQ(ids.size(), text.size() + 2);
  EXPECT_EQ(t.decode(ids), text);
  EXPECT_EQ(t.decode({104, 258, 105, 258}), "hi");  // padding decodes to nothing
  EXPECT_EQ(t.vocab_size(), 259);
}

BpeTokenizer stories_tokenizer(const std::string& shared) {
  return BpeTokenizer::load(shared + "/models/stories260K/tok512.bin");
}

// The first `n` lines of a jsonl file, field `key` of each.
std::vector<std::string> jsonl_field(const std::string& path, const std::string& key, int n) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (static_cast<int>(out.size()) < n && std::getline(in, line)) out.push_back(nlohmann::json::parse(line).at(key));
  return out;
}

TEST(BpeTokenizer, RoundTripsRealText) {
  REMIX_REQUIRE_SHARED(shared);
  auto t = stories_tokenizer(shared);
  EXPECT_EQ(t.vocab_size(), 512);
  std::vector<std::string> texts;
  for (const auto& key : {"question", "answer"})
    for (auto& s : jsonl_field(shared + "/datasets/gsm8k/test.jsonl", key, 20)) texts.push_back(s);
  for (auto& s : jsonl_field(shared + "/datasets/humaneval/HumanEval.jsonl", "prompt", 5)) texts.push_back(s);
  ASSERT_EQ(texts.size(), 45u);
  std::size_t chars = 0, tokens = 0;
  for (const auto& text : texts) {
    auto ids = t.encode(text, /*bos=*/true, /*eos=*/true);
    EXPECT_EQ(t.decode(ids), text);
    // Merges ran to completion: no two neighbours form a piece of the vocabulary.
    for (std::size_t i = 1; i + 2 < ids.size(); ++i)
      ASSERT_EQ(t.find(t.piece(ids[i]) + t.piece(ids[i + 1])), -1) << "unmerged pair at " << i << " of: " << text;
    chars += text.size();
    tokens += ids.size();
  }
  EXPECT_LT(tokens, chars * 3 / 4);  // merges compress the text (a byte-per-token encoding would not)
}

TEST(BpeTokenizer, CharactersOutsideTheVocabularyFallBackToBytes) {
  REMIX_REQUIRE_SHARED(shared);
  auto t = stories_tokenizer(shared);
  const std::string text = "Caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80!";  // "Café ☕ 😀!"
  auto ids = t.encode(text);
  int byte_pieces = 0;
  for (auto id : ids) byte_pieces += t.piece(id).rfind("<0x", 0) == 0 ? 1 : 0;
  EXPECT_GE(byte_pieces, 7);             // at least the 3 + 4 bytes of the two symbols
  EXPECT_EQ(t.decode(ids), " " + text);  // without BOS the dummy-prefix space stays
  EXPECT_EQ(t.decode(t.encode(text, true)), text);
}

TEST(BpeTokenizer, GoldenIdsDecodeToGoldenTextAndCommonWordsMergeByScore) {
  REMIX_REQUIRE_SHARED(shared);
  auto t = stories_tokenizer(shared);
  auto reference = nlohmann::json::parse(test::read_file(shared + "/models/stories260K/reference_greedy.json"));
  auto ids = reference.at("greedy_ids").get<std::vector<std::int64_t>>();
  EXPECT_EQ(t.decode(ids), reference.at("greedy_text").get<std::string>());
  // "Once upon a time" is the model's own first four tokens: " Once", " upon", " a", " time".
  EXPECT_EQ(t.encode("Once upon a time"), std::vector<std::int64_t>(ids.begin(), ids.begin() + 4));
  EXPECT_EQ(t.encode("", true, true), (std::vector<std::int64_t>{1, 2}));  // empty text: no dummy prefix
}

TEST(BpeTokenizer, BrokenFilesAreRefusedNamingThem) {
  test::TempDir dir;
  auto expect = [](const std::string& path, const std::string& needle) {
    try {
      BpeTokenizer::load(path);
      ADD_FAILURE() << "loaded " << path;
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  std::string header("\x08\x00\x00\x00", 4);
  std::string record = std::string("\x00\x00\x80\x3f", 4) + std::string("\x03\x00\x00\x00", 4) + "abc";
  auto cut = dir.write("cut.bin", header + record + record + record.substr(0, 9));
  expect(cut, cut + ": truncated: reading token 2 (bytes)");
  auto long_piece =
      dir.write("long.bin", header + std::string("\x00\x00\x80\x3f", 4) + std::string("\x09\x00\x00\x00", 4));
  expect(long_piece, "token 0 at offset 8 has length 9, outside [0, max_token_length=8]");
  auto few = dir.write("few.bin", header + record);
  expect(few, few + ": holds 1 tokens");
  expect(dir.file("absent.bin"), "cannot open llama2.c tokenizer " + dir.file("absent.bin"));
}

}  // namespace
}  // namespace remix::model
