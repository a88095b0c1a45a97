// `remix generate [--model PATH] [--run DB RUN | --checkpoint FILE] [--chat] [--max-new-tokens N] [--temperature T]
// [--seed S] [--ids] PROMPT...`: each prompt's continuation from a real model (a model folder or a .gguf file), or
// from a finetuned trial on it (its adapters and routers from the run's final checkpoint, eval-mode routing; the
// model defaults to the trial's base.path). Greedy by default, all prompts in one batch (left-padded; the
// transformer gives each the logits it would get alone), stopping at the model's EOS. With --chat, or for a trial
// trained with base.prompt_format: chat, each prompt goes into the chat template and generation stops at the end of
// turn. With --ids the prompt's and the continuation's token ids are printed too. How a researcher tries a model,
// and how anyone compares remix's output with another implementation's.
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include "cli/commands.h"
#include "model/chat_template.h"
#include "model/generation.h"
#include "model/model_path.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "trial/finetuned_trial.h"

namespace remix::cli {

namespace {

struct GenerateOptions {
  std::string model, checkpoint;
  std::vector<std::string> run;  // DB RUN
  std::int64_t max_new_tokens = 48;
  double temperature = 0;
  std::uint64_t seed = 0;
  bool ids = false, chat = false;
  std::vector<std::string> prompts;
};

// The base model alone, or a finetuned trial's model on it, with the tokenizer of the model file and the chat
// format its prompts take (the trial's base.prompt_format, or --chat).
struct LoadedModel {
  model::Transformer transformer{nullptr};
  std::shared_ptr<model::Tokenizer> tokenizer;
  std::optional<model::ChatFormat> chat;
};

LoadedModel load(const GenerateOptions& o, const GlobalOptions& global) {
  if (o.run.empty() && o.checkpoint.empty()) {
    if (o.model.empty()) throw UserError("remix generate: give --model PATH, --run DB RUN or --checkpoint FILE");
    LoadedModel out{model::load_model_from(o.model), model::load_tokenizer_from(o.model), std::nullopt};
    if (o.chat) {
      const auto where = fmt::format("--chat: the chat template of {}", o.model);
      out.chat = model::recognize_chat_template(model::read_chat_template(o.model), where);
      out.tokenizer = model::chat_tokenizer(out.tokenizer, *out.chat, where);
    }
    return out;
  }
  auto lookup = plugin::schema_lookup(global.plugin_paths);
  auto trial = o.run.empty() ? trial::finetuned_from_checkpoint(o.checkpoint, lookup)
                             : trial::finetuned_from_run(o.run[0], o.run[1], lookup);
  if (o.chat && trial.config.get_string("base.prompt_format") != "chat")
    throw UserError(fmt::format("--chat: {} trained on plain prompts (base.prompt_format plain)", trial.label));
  auto finetuned = trial::load_finetuned_model(trial, o.model);
  return {finetuned.adapted.model, finetuned.adapted.tokenizer, finetuned.chat};
}

int generate(const GenerateOptions& o, const GlobalOptions& global) {
  auto [transformer, tokenizer, chat] = load(o, global);
  transformer->eval();
  torch::manual_seed(o.seed);
  std::vector<std::vector<std::int64_t>> prompts;
  std::int64_t T = 1;
  for (const auto& p : o.prompts) {
    prompts.push_back(tokenizer->encode(chat ? chat->prompt(p) : p, /*bos=*/true));
    T = std::max<std::int64_t>(T, static_cast<std::int64_t>(prompts.back().size()));
  }
  const auto B = static_cast<std::int64_t>(prompts.size());
  auto tokens = torch::full({B, T}, tokenizer->pad_id() >= 0 ? tokenizer->pad_id() : 0, torch::kLong);
  auto valid = torch::zeros({B, T}, torch::kBool);
  for (std::int64_t b = 0; b < B; ++b) {
    const auto n = static_cast<std::int64_t>(prompts[b].size());
    if (n == 0) continue;
    tokens[b].narrow(0, T - n, n).copy_(torch::tensor(prompts[b]));
    valid[b].narrow(0, T - n, n).fill_(true);
  }
  auto out = model::generate(transformer, tokens, valid,
                             model::GenerationOptions()
                                 .max_new_tokens(o.max_new_tokens)
                                 .temperature(o.temperature)
                                 .eos_id(tokenizer->eos_id())
                                 .pad_id(tokenizer->pad_id() >= 0 ? tokenizer->pad_id() : 0));
  for (std::int64_t b = 0; b < B; ++b) {
    const auto n = out.lengths[b].item<std::int64_t>();
    auto row = out.tokens[b].narrow(0, 0, n).contiguous();
    std::vector<std::int64_t> ids(row.data_ptr<std::int64_t>(), row.data_ptr<std::int64_t>() + n);
    fmt::print("{}{}\n", o.prompts[static_cast<std::size_t>(b)], tokenizer->decode(ids));
    if (o.ids) fmt::print("  prompt ids: {}\n  new ids: {}\n", fmt::join(prompts[b], " "), fmt::join(ids, " "));
  }
  return 0;
}

}  // namespace

void add_generate_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd =
      app.add_subcommand("generate", "print each PROMPT's continuation by a model, or by a finetuned trial on it");
  cmd->add_option("--model", o->model,
                  "a Hugging Face model folder or a .gguf file (with --run/--checkpoint: default the trial's "
                  "base.path)");
  auto* run = cmd->add_option("--run", o->run, "a finetuned trial: DB and the run's id or trial key")
                  ->expected(2)
                  ->type_name("DB RUN");
  cmd->add_option("--checkpoint", o->checkpoint, "a finetuned trial's checkpoint file")->excludes(run);
  cmd->add_option("--max-new-tokens", o->max_new_tokens, "tokens to generate at most")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "0: greedy; above 0: sampling")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the sampling")->capture_default_str();
  cmd->add_flag("--ids", o->ids, "also print the token ids");
  cmd->add_flag("--chat", o->chat,
                "put each prompt in the model's chat template (a trial trained with base.prompt_format: chat does)");
  cmd->add_option("prompts", o->prompts, "the prompts")->required();
  cmd->callback([o, &global, &action] { action = [o, &global] { return generate(*o, global); }; });
}

}  // namespace remix::cli
