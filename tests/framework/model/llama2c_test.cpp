// llama2.c checkpoints: the real stories260K reproduces its independently produced golden output (200 greedy
// tokens from BOS, top-5 logits of the first steps within 1e-4), also when generated in a batch beside other
// prompts; and broken files (truncated, impossible header, versioned export, wrong tokenizer) are refused
// with a DataError naming the file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>

#include "model/bpe_tokenizer.h"
#include "model/generation.h"
#include "model/llama2c.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

struct Stories {
  std::string dir;
  nlohmann::json reference;
  std::string bin() const { return dir + "/stories260K.bin"; }
  std::string tok() const { return dir + "/tok512.bin"; }
};

// The model and its tokenizer, as the llama2c base source pairs them.
struct Loaded {
  Transformer model{nullptr};
  std::shared_ptr<Tokenizer> tokenizer;
};
Loaded load_stories(const Stories& s) {
  return {load_llama2c(s.bin()), std::make_shared<BpeTokenizer>(BpeTokenizer::load(s.tok()))};
}

Stories stories(const std::string& shared) {
  Stories s{shared + "/models/stories260K", {}};
  s.reference = nlohmann::json::parse(test::read_file(s.dir + "/reference_greedy.json"));
  return s;
}

TEST(Llama2c, Stories260KReproducesTheGoldenGreedyTokens) {
  REMIX_REQUIRE_SHARED(shared);
  auto s = stories(shared);
  auto loaded = load_stories(s);
  const auto& o = loaded.model->options();
  EXPECT_EQ(o.dim(), 64);
  EXPECT_EQ(o.n_layers(), 5);
  EXPECT_EQ(o.n_heads(), 8);
  EXPECT_EQ(o.n_kv_heads(), 4);
  EXPECT_EQ(o.ffn_dim(), 172);
  EXPECT_TRUE(o.tie_embeddings());
  auto expected = s.reference.at("greedy_ids").get<std::vector<std::int64_t>>();
  ASSERT_EQ(expected.size(), 200u);
  auto bos = torch::full({1, 1}, s.reference.at("bos_id").get<std::int64_t>(), torch::kLong);
  auto g = generate(loaded.model, bos, {}, GenerationOptions().max_new_tokens(200));
  auto got = g.tokens[0].contiguous();
  EXPECT_EQ(std::vector<std::int64_t>(got.data_ptr<std::int64_t>(), got.data_ptr<std::int64_t>() + got.numel()),
            expected);
  EXPECT_EQ(loaded.tokenizer->decode(expected), s.reference.at("greedy_text").get<std::string>());
}

TEST(Llama2c, Stories260KMatchesTheReferenceTop5LogitsWithin1e4) {
  REMIX_REQUIRE_SHARED(shared);
  auto s = stories(shared);
  auto model = load_llama2c(s.bin());
  const auto& steps = s.reference.at("first_steps_top5");
  std::vector<std::int64_t> inputs;
  for (const auto& step : steps) inputs.push_back(step.at("input_token").get<std::int64_t>());
  torch::NoGradGuard no_grad;
  auto logits = model->forward(torch::tensor(inputs).unsqueeze(0))[0];
  for (const auto& step : steps) {
    const auto pos = step.at("pos").get<std::int64_t>();
    auto top = logits[pos].topk(5);
    auto ids = step.at("top5_ids").get<std::vector<std::int64_t>>();
    auto values = step.at("top5_logits").get<std::vector<double>>();
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(std::get<1>(top)[i].item<std::int64_t>(), ids[i]) << "pos " << pos << " rank " << i;
      EXPECT_NEAR(logits[pos][ids[i]].item<double>(), values[i], 1e-4) << "pos " << pos << " id " << ids[i];
    }
  }
}

TEST(Llama2c, Stories260KGeneratesTheSameInABatchOfPaddedPrompts) {
  REMIX_REQUIRE_SHARED(shared);
  auto s = stories(shared);
  auto loaded = load_stories(s);
  std::vector<std::vector<std::int64_t>> prompts;
  for (const char* text : {"Once upon a time", "The cat", "Lily and her mom went to the park to play"})
    prompts.push_back(loaded.tokenizer->encode(text, /*bos=*/true));
  std::vector<torch::Tensor> alone;
  for (const auto& p : prompts)
    alone.push_back(
        generate(loaded.model, torch::tensor(p).unsqueeze(0), {}, GenerationOptions().max_new_tokens(30)).tokens[0]);
  const std::int64_t B = 3, T = static_cast<std::int64_t>(prompts[2].size());
  for (bool left : {true, false}) {
    auto tokens = torch::zeros({B, T}, torch::kLong);
    auto valid = torch::zeros({B, T}, torch::kBool);
    for (std::int64_t b = 0; b < B; ++b) {
      const auto n = static_cast<std::int64_t>(prompts[b].size());
      tokens[b].narrow(0, left ? T - n : 0, n).copy_(torch::tensor(prompts[b]));
      valid[b].narrow(0, left ? T - n : 0, n).fill_(true);
    }
    auto g = generate(loaded.model, tokens, valid, GenerationOptions().max_new_tokens(30));
    for (std::int64_t b = 0; b < B; ++b)
      EXPECT_TRUE(torch::equal(g.tokens[b], alone[b])) << (left ? "left" : "right") << " " << b;
  }
}

// --- broken files, written into a temporary folder ---

std::string llama2c_bytes(std::vector<std::int32_t> header, std::size_t floats) {
  std::string bytes(header.size() * 4 + floats * 4, '\0');
  std::memcpy(bytes.data(), header.data(), header.size() * 4);
  return bytes;
}

// The float count a consistent file with this header holds (tied head).
std::size_t floats_for(std::int64_t dim, std::int64_t hidden, std::int64_t L, std::int64_t heads, std::int64_t kv,
                       std::int64_t vocab, std::int64_t seq) {
  const auto hd = dim / heads, kv_dim = hd * kv;
  return static_cast<std::size_t>(vocab * dim + 2 * L * dim + L * dim * (2 * dim + 2 * kv_dim) + 3 * L * hidden * dim +
                                  dim + seq * hd);
}

TEST(Llama2c, AConsistentSyntheticFileLoads) {
  test::TempDir dir;
  auto path = dir.write("ok.bin", llama2c_bytes({8, 16, 1, 2, 1, 10, 4}, floats_for(8, 16, 1, 2, 1, 10, 4)));
  EXPECT_EQ(load_llama2c(path)->options().vocab_size(), 10);
  // A negative vocabulary size means an untied head stored at the end.
  auto untied =
      dir.write("untied.bin", llama2c_bytes({8, 16, 1, 2, 1, -10, 4}, floats_for(8, 16, 1, 2, 1, 10, 4) + 80));
  EXPECT_FALSE(load_llama2c(untied)->options().tie_embeddings());
}

TEST(Llama2c, TruncatedFileIsRefusedNamingIt) {
  test::TempDir dir;
  auto path = dir.write("short.bin", llama2c_bytes({8, 16, 1, 2, 1, 10, 4}, floats_for(8, 16, 1, 2, 1, 10, 4) - 1));
  auto msg = test::error_message<DataError>([&] { load_llama2c(path); });
  EXPECT_NE(msg.find(path + ": truncated"), std::string::npos) << msg;
  auto header_only = dir.write("header.bin", llama2c_bytes({8, 16, 1}, 0));
  msg = test::error_message<DataError>([&] { load_llama2c(header_only); });
  EXPECT_NE(msg.find(header_only + ": truncated: reading the header (n_heads)"), std::string::npos) << msg;
}

TEST(Llama2c, RealCheckpointCutShortIsRefused) {
  REMIX_REQUIRE_SHARED(shared);
  test::TempDir dir;
  auto bytes = test::read_file(stories(shared).bin());
  auto path = dir.write("cut.bin", bytes.substr(0, bytes.size() / 2));
  auto msg = test::error_message<DataError>([&] { load_llama2c(path); });
  EXPECT_NE(msg.find(path + ": truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs 1056540 bytes, the file has 528270"), std::string::npos) << msg;
}

TEST(Llama2c, ImpossibleHeadersAreRefusedSayingWhy) {
  test::TempDir dir;
  struct Case {
    std::vector<std::int32_t> header;
    std::string why;
  };
  std::vector<Case> cases = {
      {{0, 16, 1, 2, 1, 10, 4}, "dim must be in [1, 131072]"},
      {{8, 16, 1, 3, 1, 10, 4}, "dim is not divisible by n_heads"},
      {{8, 16, 1, 2, 3, 10, 4}, "n_heads is not a multiple of n_kv_heads"},
      {{6, 16, 1, 2, 1, 10, 4}, "the head dimension dim/n_heads is odd"},
      {{8, 16, -1, 2, 1, 10, 4}, "n_layers must be in [1, 4096]"},
      {{8, 16, 1, 2, 1, 0, 4}, "vocab_size must be in [1, 4194304]"},
  };
  for (const auto& c : cases) {
    auto path = dir.write("bad.bin", llama2c_bytes(c.header, 64));
    auto msg = test::error_message<DataError>([&] { load_llama2c(path); });
    EXPECT_NE(msg.find(path + ": impossible llama2.c header"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.why), std::string::npos) << msg;
  }
  auto longer = dir.write("long.bin", llama2c_bytes({8, 16, 1, 2, 1, 10, 4}, floats_for(8, 16, 1, 2, 1, 10, 4) + 3));
  EXPECT_NE(test::error_message<DataError>([&] { load_llama2c(longer); }).find("longer than its header says"),
            std::string::npos);
  auto versioned = dir.write("v1.bin", llama2c_bytes({0x616b3432, 1, 8, 16, 1, 2, 1}, 64));
  EXPECT_NE(test::error_message<DataError>([&] { load_llama2c(versioned); }).find("versioned llama2.c export"),
            std::string::npos);
  EXPECT_NE(test::error_message<DataError>([&] {
              load_llama2c(dir.file("missing.bin"));
            }).find("cannot open llama2.c checkpoint"),
            std::string::npos);
}

std::string tokenizer_bytes(int n_tokens) {
  std::string bytes(4, '\0');
  std::int32_t max_len = 8;
  std::memcpy(bytes.data(), &max_len, 4);
  for (int i = 0; i < n_tokens; ++i) {
    float score = static_cast<float>(-i);
    std::int32_t len = 1;
    bytes.append(reinterpret_cast<const char*>(&score), 4).append(reinterpret_cast<const char*>(&len), 4);
    bytes.push_back(static_cast<char>('a' + i));
  }
  return bytes;
}

TEST(Llama2c, TokenizerOfAnotherVocabularyIsRefusedNamingBothFiles) {
  test::TempDir dir;
  auto model = dir.write("m.bin", llama2c_bytes({8, 16, 1, 2, 1, 10, 4}, floats_for(8, 16, 1, 2, 1, 10, 4)));
  auto tok = dir.write("tok.bin", tokenizer_bytes(7));
  auto vocab = load_llama2c(model)->options().vocab_size();
  auto msg = test::error_message<DataError>([&] { check_vocabulary(BpeTokenizer::load(tok), vocab, tok, model); });
  EXPECT_NE(msg.find("tokenizer " + tok + " has 7 tokens but checkpoint " + model + " has a vocabulary of 10"),
            std::string::npos)
      << msg;
  auto tok10 = dir.write("tok10.bin", tokenizer_bytes(10));
  EXPECT_NO_THROW(check_vocabulary(BpeTokenizer::load(tok10), vocab, tok10, model));
}

}  // namespace
}  // namespace remix::model
