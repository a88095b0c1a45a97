// The decoder on small random models: causality, padding (left or right) not changing the logits of real
// tokens, KV-cache generation equal to recomputing the whole sequence at every step (one prompt and batches of
// prompts of different lengths), and the errors for impossible shapes and too-long sequences.
#include <gtest/gtest.h>

#include "model/generation.h"
#include "remix/errors.h"
#include "support/models.h"

namespace remix::model {
namespace {

using test::tiny_model;

torch::Tensor tokens_of(const std::vector<std::int64_t>& ids) { return torch::tensor(ids).unsqueeze(0); }

TEST(Transformer, ChangingALaterTokenNeverChangesEarlierLogits) {
  auto model = tiny_model(1);
  auto tokens = torch::randint(0, 256, {2, 24});
  auto base = model->forward(tokens);
  for (std::int64_t t : {0, 7, 22}) {
    auto changed = tokens.clone();
    changed.index_put_({torch::indexing::Slice(), t + 1}, (tokens.index({torch::indexing::Slice(), t + 1}) + 1) % 256);
    auto logits = model->forward(changed);
    EXPECT_TRUE(torch::equal(logits.narrow(1, 0, t + 1), base.narrow(1, 0, t + 1))) << "position " << t;
    EXPECT_FALSE(torch::allclose(logits.narrow(1, t + 1, 1), base.narrow(1, t + 1, 1)));  // the change is seen
  }
}

TEST(Transformer, PaddingLeftOrRightLeavesRealTokensLogitsUnchanged) {
  auto model = tiny_model(2);
  auto ids = std::vector<std::int64_t>{5, 80, 120, 7, 33};
  auto alone = model->forward(tokens_of(ids));
  auto padded = std::vector<std::int64_t>{258, 258, 258};
  RoutingContext ctx;
  // Left: three pads, then the sequence.
  auto left = padded;
  left.insert(left.end(), ids.begin(), ids.end());
  ctx.valid_mask = torch::tensor(std::vector<std::int64_t>{0, 0, 0, 1, 1, 1, 1, 1}).to(torch::kBool).unsqueeze(0);
  auto left_logits = model->forward(tokens_of(left), ctx);
  EXPECT_TRUE(torch::allclose(left_logits.narrow(1, 3, 5), alone, 1e-5, 1e-5));
  // Right: the sequence, then three pads.
  auto right = ids;
  right.insert(right.end(), padded.begin(), padded.end());
  ctx.valid_mask = torch::tensor(std::vector<std::int64_t>{1, 1, 1, 1, 1, 0, 0, 0}).to(torch::kBool).unsqueeze(0);
  auto right_logits = model->forward(tokens_of(right), ctx);
  EXPECT_TRUE(torch::allclose(right_logits.narrow(1, 0, 5), alone, 1e-5, 1e-5));
  EXPECT_FALSE(torch::any(torch::isnan(left_logits)).item<bool>());  // padding queries stay finite
}

// Greedy decoding by a full forward over the whole sequence at every step: the reference for the KV cache.
std::vector<std::int64_t> greedy_by_recompute(Transformer& model, std::vector<std::int64_t> ids, int steps) {
  torch::NoGradGuard no_grad;
  std::vector<std::int64_t> out;
  for (int s = 0; s < steps; ++s) {
    auto logits = model->forward(tokens_of(ids));
    auto next = logits[0][-1].argmax().item<std::int64_t>();
    out.push_back(next);
    ids.push_back(next);
  }
  return out;
}

std::vector<std::int64_t> row(const torch::Tensor& t, std::int64_t b) {
  auto r = t[b].contiguous();
  return {r.data_ptr<std::int64_t>(), r.data_ptr<std::int64_t>() + r.numel()};
}

TEST(Generation, KvCacheEqualsFullRecompute) {
  auto model = tiny_model(3);
  std::vector<std::int64_t> prompt{10, 200, 31, 4};
  auto g = generate(model, tokens_of(prompt), {}, GenerationOptions().max_new_tokens(20));
  EXPECT_EQ(row(g.tokens, 0), greedy_by_recompute(model, prompt, 20));
  EXPECT_EQ(g.lengths[0].item<std::int64_t>(), 20);
}

TEST(Generation, BatchedPromptsOfDifferentLengthsMatchEachAloneWithEitherPadding) {
  auto model = tiny_model(4);
  std::vector<std::vector<std::int64_t>> prompts = {{1, 2, 3}, {90, 91, 92, 93, 94, 95, 96}, {250}, {7, 7, 7, 7, 7}};
  std::vector<std::vector<std::int64_t>> expected;
  for (const auto& p : prompts) expected.push_back(greedy_by_recompute(model, p, 12));
  const std::int64_t B = 4, T = 7, pad = 258;
  for (bool left : {true, false}) {
    auto tokens = torch::full({B, T}, pad, torch::kLong);
    auto valid = torch::zeros({B, T}, torch::kBool);
    for (std::int64_t b = 0; b < B; ++b) {
      const auto n = static_cast<std::int64_t>(prompts[b].size());
      const auto start = left ? T - n : 0;
      tokens[b].narrow(0, start, n).copy_(torch::tensor(prompts[b]));
      valid[b].narrow(0, start, n).fill_(true);
    }
    auto g = generate(model, tokens, valid, GenerationOptions().max_new_tokens(12).pad_id(pad));
    for (std::int64_t b = 0; b < B; ++b)
      EXPECT_EQ(row(g.tokens, b), expected[b]) << (left ? "left" : "right") << " row " << b;
  }
}

TEST(Generation, StopsEachRowAtEosAndPadsAfterIt) {
  auto model = tiny_model(5);
  auto prompt = torch::tensor(std::vector<std::int64_t>{3, 4, 5, 6, 7, 8}).view({2, 3});
  auto free = generate(model, prompt, {}, GenerationOptions().max_new_tokens(6));
  // Declare row 0's third token the EOS: row 0 stops there, row 1 runs on unless it meets the same token.
  const auto eos = free.tokens[0][2].item<std::int64_t>();
  auto g = generate(model, prompt, {}, GenerationOptions().max_new_tokens(6).eos_id(eos).pad_id(258));
  auto r0 = row(g.tokens, 0), free0 = row(free.tokens, 0);
  EXPECT_EQ(g.lengths[0].item<std::int64_t>(), 3);
  EXPECT_EQ(std::vector<std::int64_t>(r0.begin(), r0.begin() + 3),
            std::vector<std::int64_t>(free0.begin(), free0.begin() + 3));
  for (std::size_t i = 3; i < r0.size(); ++i) EXPECT_EQ(r0[i], 258);
}

TEST(Generation, TemperatureSamplingIsReproducibleUnderASeed) {
  auto model = tiny_model(6);
  auto prompt = tokens_of({9, 8, 7});
  torch::manual_seed(11);
  auto a = generate(model, prompt, {}, GenerationOptions().max_new_tokens(15).temperature(1.5));
  torch::manual_seed(11);
  auto b = generate(model, prompt, {}, GenerationOptions().max_new_tokens(15).temperature(1.5));
  EXPECT_TRUE(torch::equal(a.tokens, b.tokens));
  auto greedy = generate(model, prompt, {}, GenerationOptions().max_new_tokens(15));
  EXPECT_FALSE(torch::equal(a.tokens, greedy.tokens));  // at 1.5 the samples leave the greedy path
}

TEST(Transformer, TooLongSequenceNamesMaxSeqLen) {
  auto model = tiny_model(7);
  try {
    model->forward(torch::zeros({1, 65}, torch::kLong));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.max_seq_len=64"), std::string::npos) << e.what();
  }
}

TEST(TransformerOptions, ImpossibleShapesNameTheKey) {
  auto expect_error = [](TransformerOptions o, const std::string& needle) {
    try {
      o.validate();
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(test::tiny_options().n_heads(5), "model.n_heads: model.dim=32 is not divisible by model.n_heads=5");
  expect_error(test::tiny_options().n_kv_heads(3), "model.n_kv_heads: model.n_heads=4 is not a multiple");
  expect_error(test::tiny_options().dim(36).n_heads(12).n_kv_heads(12), "must be even");
}

}  // namespace
}  // namespace remix::model
