// Chat prompts (`base.prompt_format: chat`): a model's chat template — a Jinja program in tokenizer_config.json,
// chat_template.jinja or the GGUF key tokenizer.chat_template — recognised as one of the families the supported
// models use and reduced to what a one-turn exchange needs: the text around the user's message up to the
// assistant's turn, and the token that ends the assistant's turn. remix does not run Jinja; the families are:
//   chatml   <|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n   (SmolLM2, Qwen2/2.5; the template's
//            default system message, when it has one, goes first as <|im_start|>system\n{text}<|im_end|>\n)
//   llama3   <|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|><|start_header_id|>assistant...\n\n
//            (Llama 3.1+'s default system block with its knowledge cut-off and the template's fixed fallback date
//            "26 Jul 2024": a date taken from the clock would make a trial's prompts depend on the day it ran)
//   inst     [INST] {prompt} [/INST] (Llama-2, Mistral v0.1) or [INST]{prompt}[/INST] (Mistral v0.3, Nemo)
//   phi3     <|user|>\n{prompt}<|end|>\n<|assistant|>\n
// The assistant's answer ends with the family's end-of-turn token (the tokenizer's EOS for inst), which becomes
// the EOS of the trial's tokenizer: training targets end with it and generation stops at it. Templates remix does
// not recognise (tools-only, thinking modes, default system prompts it cannot extract) are an error that says to
// use `plain`, never a guess.
#pragma once

#include <memory>
#include <string>

#include "model/tokenizer.h"

namespace remix::model {

struct ChatFormat {
  std::string family;       // chatml, llama3, inst, phi3
  bool bos = false;         // the template starts with the BOS token
  std::string prefix;       // text before the user's message (after BOS)
  std::string suffix;       // text after it, up to where the assistant's answer starts
  std::string end_of_turn;  // the token text that ends the assistant's turn; "" = the tokenizer's EOS
  bool trim = false;        // the template trims the message (Llama-3's `| trim`, Llama-2's `.strip()`)

  std::string prompt(const std::string& user) const;
};

// The chat template of a model folder (chat_template.jinja, or tokenizer_config.json's chat_template: a string or
// the "default" of a list), a .gguf file (tokenizer.chat_template) or the folder of a bare tokenizer.json; "" when
// there is none.
std::string read_chat_template(const std::string& model_path);

// ConfigError naming `where` (e.g. "base.prompt_format: the chat template of PATH") when the template is empty or
// of no family above.
ChatFormat recognize_chat_template(const std::string& tmpl, const std::string& where);

// `base` whose EOS is the format's end of turn (training targets end with it, generation stops at it) and whose BOS
// is added exactly when the template adds it (ignoring add_bos_token: the template decides, as transformers'
// apply_chat_template does). ConfigError naming `where` when the end-of-turn text is not one token of `base`.
std::shared_ptr<Tokenizer> chat_tokenizer(std::shared_ptr<Tokenizer> base, const ChatFormat& format,
                                          const std::string& where);

}  // namespace remix::model
