// Chat formats without a real model (tests/reference/chat_template_reference_test.cpp checks them against
// transformers on real templates): a family's text around the message, a default system message taken from the
// template, trimming where the template trims, the tokenizer that adds BOS only when the template does and ends
// answers with the end of turn; an empty or unknown template, an end of turn the tokenizer cannot say in one token,
// and chat prompts on a base without a template are refused with exit code 2 and a message that names the key.
#include <gtest/gtest.h>

#include "model/chat_template.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

const char* const kChatml =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nBe "
    "brief.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

TEST(ChatTemplate, ChatmlTakesTheTemplatesDefaultSystemMessage) {
  auto f = recognize_chat_template(kChatml, "test");
  EXPECT_EQ(f.family, "chatml");
  EXPECT_FALSE(f.bos);
  EXPECT_EQ(f.prompt("hi"), "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
                            "<|im_start|>assistant\n");
  EXPECT_EQ(f.end_of_turn, "<|im_end|>");
}

TEST(ChatTemplate, InstTrimsWhenTheTemplateDoesAndEndsWithEos) {
  auto f = recognize_chat_template("{{ bos_token }}{% for m in messages %}{{ '[INST] ' + m['content'].strip() + "
                                   "' [/INST]' }}{% endfor %}",
                                   "test");
  EXPECT_EQ(f.family, "inst");
  EXPECT_TRUE(f.bos);
  EXPECT_EQ(f.prompt("  hi\n"), "[INST] hi [/INST]");
  EXPECT_EQ(f.end_of_turn, "");
  // The tokenizer: BOS because the template has it, the tokenizer's EOS as the end of the answer.
  auto tok = chat_tokenizer(std::make_shared<ByteTokenizer>(), f, "test");
  EXPECT_EQ(tok->encode("ab", /*bos=*/true, /*eos=*/true),
            (std::vector<std::int64_t>{ByteTokenizer::kBos, 'a', 'b', ByteTokenizer::kEos}));
  EXPECT_EQ(tok->encode("ab", /*bos=*/false, /*eos=*/false), (std::vector<std::int64_t>{'a', 'b'}));
}

TEST(ChatTemplate, RefusesWhatItCannotReproduce) {
  auto message = [](const std::string& t) {
    return test::error_message<ConfigError>(
        [&] { recognize_chat_template(t, "base.prompt_format: the chat template of X"); });
  };
  EXPECT_NE(message("").find("has no chat template; use base.prompt_format: plain"), std::string::npos) << message("");
  EXPECT_NE(message("{{ '<start_of_turn>user\\n' }}").find("not a template of a family"), std::string::npos);
  EXPECT_NE(message("<|im_start|>{% if enable_thinking %}<think>{% endif %}").find("thinking"), std::string::npos);
  // ChatML's end of turn is not one byte token.
  auto f = recognize_chat_template(kChatml, "test");
  EXPECT_NE(test::error_message<ConfigError>([&] { chat_tokenizer(std::make_shared<ByteTokenizer>(), f, "where"); })
                .find("where: the chatml template ends a turn with <|im_end|>"),
            std::string::npos);
}

TEST(ChatTemplate, ChatPromptsOnABaseWithoutATemplateExitTwo) {
  test::TempDir dir;
  auto config = dir.write("exp.yaml", "experiment: {name: chat, db: " + dir.file("r.db") + "}\n" +
                                          test::tiny_trial_yaml(dir) + "router: {plugin: remix}\ntasks: {math: {}}\n");
  auto r = test::run_command({test::remix_bin(), "run", config, "base.prompt_format=chat"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("base.prompt_format: chat applies a real model's chat template"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace remix::model
