// `remix generate --model PATH [--max-new-tokens N] [--temperature T] [--seed S] [--ids] PROMPT...`: each prompt's
// continuation from a real model (a model folder or a .gguf file), greedy by default, all prompts in one batch
// (left-padded; the transformer gives each the logits it would get alone), stopping at the model's EOS. With --ids
// the prompt's and the continuation's token ids are printed too. How a researcher tries a model, and how anyone
// compares remix's output with another implementation's. (A finetuned trial's adapters: not yet.)
#include <fmt/format.h>

#include "cli/commands.h"
#include "model/generation.h"
#include "model/model_path.h"

namespace remix::cli {

namespace {

struct GenerateOptions {
  std::string model;
  std::int64_t max_new_tokens = 48;
  double temperature = 0;
  std::uint64_t seed = 0;
  bool ids = false;
  std::vector<std::string> prompts;
};

int generate(const GenerateOptions& o) {
  auto tokenizer = model::load_tokenizer_from(o.model);
  auto transformer = model::load_model_from(o.model);
  transformer->eval();
  torch::manual_seed(o.seed);
  std::vector<std::vector<std::int64_t>> prompts;
  std::int64_t T = 1;
  for (const auto& p : o.prompts) {
    prompts.push_back(tokenizer->encode(p, /*bos=*/true));
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

void add_generate_command(CLI::App& app, const GlobalOptions&, Action& action) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand("generate", "print each PROMPT's continuation by a model folder or .gguf file");
  cmd->add_option("--model", o->model, "a Hugging Face model folder or a .gguf file")->required();
  cmd->add_option("--max-new-tokens", o->max_new_tokens, "tokens to generate at most")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "0: greedy; above 0: sampling")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the sampling")->capture_default_str();
  cmd->add_flag("--ids", o->ids, "also print the token ids");
  cmd->add_option("prompts", o->prompts, "the prompts")->required();
  cmd->callback([o, &action] { action = [o] { return generate(*o); }; });
}

}  // namespace remix::cli
