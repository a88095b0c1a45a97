// `remix data FILE [overrides]`: the tasks of an experiment as a trial would load them, without training or
// recording anything: per task its plugin, example counts, evaluation style and metric, token lengths against
// the model's context, its share of the base model's pretraining text, what the task reports about itself
// (sandbox, data files, skipped records), and a few examples. The way to check a data file or a generator's
// settings before spending a run on them.
#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "config/resolved_config.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "train/task_set.h"
#include "trial/base_sources.h"

namespace remix::cli {

namespace {

struct DataOptions {
  std::string file, split = "train";
  std::vector<std::string> overrides;
  int show = 2;
};

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '\n' ? std::string("\\n") : c == '"' ? std::string("\\\"") : std::string(1, c);
  return out + "\"";
}

int show_data(const GlobalOptions& g, const DataOptions& o) {
  auto parsed = config::parse_overrides(o.overrides);
  if (!parsed.axes.empty()) throw UserError("remix data: sweep axes are not allowed here ('" + parsed.axes[0].text + "')");
  auto cfg = config::resolve(o.file, parsed.fixed, plugin::schema_lookup(g.plugin_paths));
  train::TaskSet tasks(cfg);
  auto shape = trial::base_model_source(cfg).shape(cfg);  // the trial's tokenizer and context, no weights loaded
  auto tokenizer = shape.tokenizer;
  if (shape.chat) tasks.format_prompts([&](const std::string& p) { return shape.chat->prompt(p); });
  auto context = shape.context_length;
  // Tokens each task contributes to the base's pretraining corpus (documents carry BOS and EOS, as pretrain does).
  std::vector<std::int64_t> pretraining_tokens;
  std::int64_t corpus_tokens = 0;
  for (const auto& t : tasks.tasks()) {
    std::int64_t n = 0;
    std::istringstream in(t.task->pretraining_text());
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) n += static_cast<std::int64_t>(tokenizer->encode(line, true, true).size());
    pretraining_tokens.push_back(n);
    corpus_tokens += n;
  }
  std::size_t index = 0;
  for (const auto& t : tasks.tasks()) {
    const auto& p = cfg.plugin("tasks." + t.name);
    fmt::print("task {} (plugin {} {}, {})\n", t.name, p.name, p.version, p.path);
    fmt::print("  {} train / {}{} eval examples; weight {}; eval by {}, metric {}\n", t.train.size(),
               t.validation.empty() ? "" : fmt::format("{} validation / ", t.validation.size()), t.eval.size(),
               t.weight, t.task->eval_style() == EvalStyle::Generate ? "generation" : "choice log-likelihood",
               t.task->metric_name());
    for (const auto* split : {&t.train, &t.validation, &t.eval}) {
      if (split->empty()) continue;
      std::int64_t lo = 1 << 30, hi = 0;
      double sum = 0;
      for (const auto& e : *split) {
        auto n = train::example_tokens(*tokenizer, e) - 1;
        lo = std::min(lo, n), hi = std::max(hi, n), sum += static_cast<double>(n);
      }
      fmt::print("  {} tokens per example: min {} / mean {:.1f} / max {} (context {})\n",
                 split == &t.train  ? "train"
                 : split == &t.eval ? "eval"
                                    : "validation",
                 lo, sum / static_cast<double>(split->size()), hi, context);
    }
    auto own = pretraining_tokens[index++];
    fmt::print("  pretraining text: {} tokens ({:.0f}% of the base's corpus)\n", own,
               corpus_tokens > 0 ? 100.0 * static_cast<double>(own) / static_cast<double>(corpus_tokens) : 0.0);
    for (const auto& [k, v] : t.task->tags()) fmt::print("  tag {} = {}\n", k, v);
    for (const auto& [k, v] : t.task->stats()) fmt::print("  stat {} = {}\n", k, v);
    const auto& examples = o.split == "eval" ? t.eval : o.split == "validation" ? t.validation : t.train;
    for (int i = 0; i < o.show && i < static_cast<int>(examples.size()); ++i) {
      const auto& e = examples[static_cast<std::size_t>(i)];
      fmt::print("  {}[{}] {}\n    prompt: {}\n    answer: {}\n", o.split, i, e.id, quoted(e.prompt), quoted(e.answer));
      for (std::size_t c = 0; c < e.choices.size(); ++c)
        fmt::print("    choice {}{}: {}\n", c, static_cast<std::int64_t>(c) == e.label ? " (correct)" : "", quoted(e.choices[c]));
    }
  }
  tasks.check_fits(*tokenizer, context);
  return 0;
}

}  // namespace

void add_data_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<DataOptions>();
  auto* cmd = app.add_subcommand("data", "show the tasks' examples as a trial of FILE would load them");
  cmd->add_option("file", o->file, "experiment YAML")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value, +key.path=value, ~key.path");
  cmd->add_option("--show", o->show, "examples to print per task")->capture_default_str();
  cmd->add_option("--split", o->split, "which examples to print")
      ->check(CLI::IsMember({"train", "validation", "eval"}))
      ->capture_default_str();
  cmd->callback([o, &global, &action] { action = [o, &global] { return show_data(global, *o); }; });
}

}  // namespace remix::cli
