// Real models against the reference other people wrote: SmolLM2-135M-Instruct, from its GGUF (Q4_1, as published)
// and from the Hugging Face folder transformers converts it into (tests/reference/fetch_smollm2.sh), run by remix
// and by transformers (tests/reference/reference_logits.py, in the venv of tests/reference/setup_env.sh) on the
// same token ids. Logits must agree within float32 tolerance at every real position — remix's batch is padded on
// the left, transformers runs each sequence alone — and 32 greedy tokens must be identical, from both sources.
// The GGUF path checks remix's dequantization and q/k un-permutation against transformers' own.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <map>

#include "model/generation.h"
#include "model/gguf_model.h"
#include "model/hf_model.h"
#include "model/safetensors.h"
#include "support/reference_data.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

struct References {
  std::string python, model_dir;
  std::string gguf() const { return model_dir + "/SmolLM2-135M-Instruct.Q4_1.gguf"; }
  std::string hf() const { return model_dir + "/hf"; }
};

References make_references() { return {test::reference_python(), test::smollm2_dir()}; }
const References& references() {
  static const References r = make_references();
  return r;
}

// Token sequences of different lengths, from a fixed generator over the vocabulary's ordinary tokens.
std::vector<std::vector<std::int64_t>> test_sequences() {
  std::vector<std::vector<std::int64_t>> out;
  std::uint64_t state = 12345;
  for (int len : {7, 19, 12}) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < len; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      ids.push_back(static_cast<std::int64_t>(100 + (state >> 33) % 40000));
    }
    out.push_back(ids);
  }
  return out;
}

const std::vector<std::int64_t> kGreedyPrompt = {1, 9690, 198, 2683, 359, 253, 5356, 5646, 2, 198, 1, 4093, 198,
                                                 21, 1344, 8, 216, 34, 45, 2, 198, 1, 520, 9531, 198};

// transformers' logits per sequence and its greedy continuation, computed once (with bf16: its weight matrices
// rounded to bfloat16 first, as model.dtype: bfloat16 stores them).
const SafetensorsFile& reference_outputs(const test::TempDir& tmp, bool bf16 = false) {
  static std::map<bool, std::unique_ptr<SafetensorsFile>> files;
  auto& file = files[bf16];
  if (!file) {
    const auto& r = references();
    nlohmann::json request = {{"sequences", test_sequences()}, {"greedy_prompt", kGreedyPrompt}, {"greedy_tokens", 32},
                              {"bf16_matrices", bf16}};
    auto req = tmp.write(bf16 ? "request-bf16.json" : "request.json", request.dump());
    auto out = tmp.file(bf16 ? "reference-bf16.safetensors" : "reference.safetensors");
    auto run = test::run_command(
        {r.python, test::source_dir() + "/tests/reference/reference_logits.py", r.hf(), req, out});
    if (run.exit_code != 0) throw std::runtime_error("reference_logits.py failed:\n" + run.err);
    file = std::make_unique<SafetensorsFile>(out);
  }
  return *file;
}

void expect_matches_transformers(Transformer& model, const std::string& source, bool bf16 = false) {
  static test::TempDir tmp;
  const auto& ref = reference_outputs(tmp, bf16);
  torch::NoGradGuard no_grad;
  auto seqs = test_sequences();
  std::int64_t T = 0;
  for (const auto& s : seqs) T = std::max<std::int64_t>(T, static_cast<std::int64_t>(s.size()));
  const auto B = static_cast<std::int64_t>(seqs.size());
  auto tokens = torch::zeros({B, T}, torch::kLong);
  auto valid = torch::zeros({B, T}, torch::kBool);
  for (std::int64_t b = 0; b < B; ++b) {
    const auto n = static_cast<std::int64_t>(seqs[b].size());
    tokens[b].narrow(0, T - n, n).copy_(torch::tensor(seqs[b]));  // left padding
    valid[b].narrow(0, T - n, n).fill_(true);
  }
  RoutingContext ctx;
  ctx.valid_mask = valid;
  auto logits = model->forward(tokens, ctx);
  double worst = 0;
  for (std::int64_t b = 0; b < B; ++b) {
    const auto n = static_cast<std::int64_t>(seqs[b].size());
    auto expected = ref.tensor(fmt::format("logits.{}", b));
    auto got = logits[b].narrow(0, T - n, n);
    ASSERT_EQ(got.sizes(), expected.sizes());
    worst = std::max(worst, (got - expected).abs().max().item<double>());
    EXPECT_TRUE(got.argmax(-1).equal(expected.argmax(-1))) << source << ": argmax differs in sequence " << b;
  }
  std::cout << source << ": max |logit difference| vs transformers = " << worst << "\n";
  EXPECT_LT(worst, 2e-3) << source;

  auto prompt = torch::tensor(kGreedyPrompt).unsqueeze(0);
  auto gen = generate(model, prompt, torch::Tensor(), GenerationOptions().max_new_tokens(32));
  auto expected = ref.tensor("greedy");
  auto ids = [](const torch::Tensor& t) {
    auto c = t.contiguous();
    return std::vector<std::int64_t>(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
  };
  EXPECT_EQ(ids(gen.tokens[0]), ids(expected)) << source << ": greedy continuations differ";
}

TEST(RealModelReference, HuggingFaceFolderMatchesTransformers) {
  auto model = load_hf_model(references().hf());
  model->eval();
  expect_matches_transformers(model, "hf");
}

// model.dtype: bfloat16 on a real model: its matrices stored in bfloat16 give transformers' float32 computation on
// the same rounded matrices.
TEST(RealModelReference, Bfloat16StorageMatchesTransformersOnRoundedMatrices) {
  auto model = load_hf_model(references().hf());
  model->freeze_base();
  model->store_frozen_matrices_as(torch::kBFloat16);
  model->eval();
  expect_matches_transformers(model, "hf, bfloat16 matrices", /*bf16=*/true);
}

TEST(RealModelReference, GgufMatchesTransformersOnItsConversion) {
  GgufFile file(references().gguf());
  auto model = load_gguf_model(file);
  model->eval();
  expect_matches_transformers(model, "gguf");
}

}  // namespace
}  // namespace remix::model
