// The commands that take --model, on the real SmolLM2 files: `remix tokenize --ids-only` prints the ids the library
// gives, `remix generate --ids` runs from either source and continues a prompt alone exactly as in a batch (the
// logits agree with transformers: real_model_reference_test.cpp), and a path that is neither a folder, a .gguf nor a
// tokenizer.json exits 2 naming it.
#include <gtest/gtest.h>

#include "model/model_path.h"
#include "support/reference_data.h"
#include "support/test_env.h"

namespace remix::cli {
namespace {

std::string line_after(const std::string& out, const std::string& prefix) {
  auto at = out.find(prefix);
  if (at == std::string::npos) return "";
  auto start = at + prefix.size();
  return out.substr(start, out.find('\n', start) - start);
}

TEST(CliRealModel, TokenizePrintsTheLibrarysIds) {
  const auto hf = test::smollm2_dir() + "/hf";
  auto r = test::run_command({test::remix_bin(), "tokenize", "--ids-only", "--model", hf, "Hello world", "x = 1234"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto tokenizer = model::load_tokenizer_from(hf);
  std::string expected;
  for (const char* text : {"Hello world", "x = 1234"}) {
    auto ids = tokenizer->encode(text);
    for (std::size_t i = 0; i < ids.size(); ++i) expected += (i ? " " : "") + std::to_string(ids[i]);
    expected += "\n";
  }
  EXPECT_EQ(r.out, expected);
  auto bad = test::run_command({test::remix_bin(), "tokenize", "--model", "/no/such/model", "x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("/no/such/model"), std::string::npos) << bad.err;
}

// Both sources generate; they tokenize the prompt alike except for BOS (the GGUF says add_bos_token false,
// transformers' conversion wrote add_bos_token true), so their continuations are not compared. A prompt generated
// alone continues exactly as it did in the left-padded batch.
TEST(CliRealModel, GenerateRunsFromBothSourcesAndAPromptAloneContinuesAsInTheBatch) {
  const auto dir = test::smollm2_dir();
  std::vector<std::string> new_ids, prompt_ids;
  for (const auto& path : {dir + "/SmolLM2-135M-Instruct.Q4_1.gguf", dir + "/hf"}) {
    auto r = test::run_command({test::remix_bin(), "generate", "--ids", "--max-new-tokens", "12", "--model", path,
                                "The capital of France is", "def add(a, b):"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("The capital of France is", 0), 0u) << r.out;
    auto ids = line_after(r.out, "  new ids: ");
    EXPECT_FALSE(ids.empty()) << r.out;
    new_ids.push_back(ids);
    prompt_ids.push_back(line_after(r.out, "  prompt ids: "));
  }
  EXPECT_EQ("1 " + prompt_ids[0], prompt_ids[1]);  // the HF folder's BOS, as its tokenizer_config.json asks
  auto ids = [&](const std::string& prompt) {
    auto tokenizer = model::load_tokenizer_from(dir + "/SmolLM2-135M-Instruct.Q4_1.gguf");
    std::string out;
    for (auto id : tokenizer->encode(prompt, true)) out += (out.empty() ? "" : " ") + std::to_string(id);
    return out;
  };
  EXPECT_EQ(prompt_ids[0], ids("The capital of France is"));
  auto r = test::run_command({test::remix_bin(), "generate", "--ids", "--max-new-tokens", "12", "--model",
                              dir + "/SmolLM2-135M-Instruct.Q4_1.gguf", "The capital of France is"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_after(r.out, "  new ids: "), new_ids[0]) << "batched and alone differ";
}

}  // namespace
}  // namespace remix::cli
