// Chat prompts against transformers' rendering of the real templates (tests/reference/reference_chat.py): SmolLM2's
// (its HF folder), Qwen2's and Phi-3's (in llama.cpp's vocabulary GGUFs) and every template llama.cpp tests with
// (models/templates, fetched by tests/reference/fetch_llama_vocabs.sh). Each template remix recognises must give
// transformers' text exactly, for the user message with the generation prompt and, followed by the answer and the
// end of turn, as the start of the rendered exchange; the families the supported models use must be recognised;
// every other template must be refused with a message that says to use plain.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "model/chat_template.h"
#include "model/model_path.h"
#include "remix/errors.h"
#include "support/reference_data.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kPrompts = {"What is 12 * 7?", "  Write a function add(a, b).\n",
                                           "Question: Which gas do plants take in?\nAnswer:"};
const char* const kAnswer = "84";

std::map<std::string, std::string> templates() {
  std::map<std::string, std::string> out;
  out["SmolLM2 (hf folder)"] = read_chat_template(test::smollm2_dir() + "/hf");
  const auto vocabs = test::llama_vocab_dir();
  out["Qwen2 (ggml-vocab-qwen2.gguf)"] = read_chat_template(vocabs + "/ggml-vocab-qwen2.gguf");
  out["Phi-3 (ggml-vocab-phi-3.gguf)"] = read_chat_template(vocabs + "/ggml-vocab-phi-3.gguf");
  for (const auto& e : fs::directory_iterator(vocabs + "/templates"))
    if (e.path().extension() == ".jinja") out[e.path().stem().string()] = test::read_file(e.path().string());
  return out;
}

TEST(ChatTemplateReference, RecognisedTemplatesRenderAsTransformersDoAndTheRestAreRefused) {
  test::TempDir tmp;
  const auto all = templates();
  nlohmann::json request = {{"templates", all}, {"prompts", kPrompts}, {"answer", kAnswer},
                            {"bos_token", "<BOS>"}, {"eos_token", "<EOS>"}, {"date_string", "26 Jul 2024"},
                            {"model_dir", test::smollm2_dir() + "/hf"}};
  auto out = tmp.file("rendered.json");
  auto py = test::run_command({test::reference_python(), test::source_dir() + "/tests/reference/reference_chat.py",
                               tmp.write("request.json", request.dump()), out});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const auto rendered = nlohmann::json::parse(test::read_file(out));

  std::set<std::string> recognised;
  for (const auto& [name, tmpl] : all) {
    ChatFormat format;
    try {
      format = recognize_chat_template(tmpl, name);
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("use base.prompt_format: plain"), std::string::npos) << e.what();
      std::cout << "refused: " << name << ": " << std::string(e.what()).substr(0, 160) << "\n";
      continue;
    }
    recognised.insert(name);
    const auto& ref = rendered.at(name);
    ASSERT_FALSE(ref.contains("error")) << name << ": transformers cannot render it: " << ref["error"];
    for (std::size_t i = 0; i < kPrompts.size(); ++i) {
      const auto prompt = (format.bos ? "<BOS>" : "") + format.prompt(kPrompts[i]);
      EXPECT_EQ(prompt, ref["prompt"][i].get<std::string>()) << name << " (" << format.family << "), prompt " << i;
      const auto exchange = prompt + kAnswer + (format.end_of_turn.empty() ? "<EOS>" : format.end_of_turn);
      EXPECT_EQ(ref["exchange"][i].get<std::string>().rfind(exchange, 0), 0u)
          << name << " (" << format.family << "), prompt " << i << ": remix's exchange\n" << exchange
          << "\nis not the start of transformers'\n" << ref["exchange"][i].get<std::string>();
    }
    std::cout << "recognised: " << name << " (" << format.family << ")\n";
  }
  // Token ids: the chat tokenizer of SmolLM2's folder gives apply_chat_template's ids (no BOS: the template has
  // none, though the folder's add_bos_token is true), and its EOS is the end of turn <|im_end|>.
  const auto hf = test::smollm2_dir() + "/hf";
  const auto format = recognize_chat_template(read_chat_template(hf), "SmolLM2");
  const auto tokenizer = chat_tokenizer(load_tokenizer_from(hf), format, "SmolLM2");
  for (std::size_t i = 0; i < kPrompts.size(); ++i)
    EXPECT_EQ(tokenizer->encode(format.prompt(kPrompts[i]), /*bos=*/true),
              rendered["ids"][i].get<std::vector<std::int64_t>>())
        << "prompt " << i;
  EXPECT_EQ(tokenizer->encode("84", false, /*eos=*/true).back(), load_tokenizer_from(hf)->encode("<|im_end|>")[0]);

  for (const char* must : {"SmolLM2 (hf folder)", "Qwen2 (ggml-vocab-qwen2.gguf)", "Phi-3 (ggml-vocab-phi-3.gguf)",
                           "meta-llama-Llama-3.1-8B-Instruct", "meta-llama-Llama-3.3-70B-Instruct",
                           "mistralai-Mistral-Nemo-Instruct-2407", "Qwen-Qwen2.5-7B-Instruct",
                           "microsoft-Phi-3.5-mini-instruct"})
    EXPECT_TRUE(recognised.count(must)) << must << " should be recognised";
}

}  // namespace
}  // namespace remix::model
