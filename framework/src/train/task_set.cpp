// The trial's tasks (see task_set.h).
#include "train/task_set.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <sstream>

#include "common/build_info.h"
#include "common/log.h"
#include "plugin/library.h"
#include "remix/errors.h"

namespace remix::train {

std::int64_t example_tokens(const model::Tokenizer& tokenizer, const Example& e) {
  return static_cast<std::int64_t>(tokenizer.encode(e.prompt).size() + tokenizer.encode(e.answer).size()) + 2;
}

TaskSet::TaskSet(const config::ResolvedConfig& cfg) {
  for (const auto& name : cfg.task_names()) {
    std::string block = "tasks." + name;
    auto lib = plugin::PluginLibrary::open(cfg.plugin(block).path);
    TaskContext ctx;
    ctx.name = name;
    ctx.seed = static_cast<std::uint64_t>(cfg.get_int("seed"));
    ctx.data_dir = build_info::datasets_dir();
    ctx.warn = [name](const std::string& message) { log::warn("task {}: {}", name, message); };
    TrialTask t;
    t.name = name;
    t.task = lib->create_task(cfg.plugin_params(block), ctx);
    t.weight = cfg.get_float(block + ".weight");
    try {
      t.train = t.task->examples(Split::Train);
      t.eval = t.task->examples(Split::Eval);
    } catch (const UserError&) {
      throw;
    } catch (const std::exception& e) {
      throw PluginError(fmt::format("task plugin '{}' ({}) failed to give its examples: {}", lib->name(), lib->path(),
                                    e.what()));
    }
    tasks_.push_back(std::move(t));
  }
}

void TaskSet::check_fits(const model::Tokenizer& tokenizer, std::int64_t max_seq_len) const {
  bool any = false;
  for (const auto& t : tasks_) any = any || (t.weight > 0 && !t.train.empty());
  if (!any) {
    std::vector<std::string> parts;
    for (const auto& t : tasks_) parts.push_back(fmt::format("tasks.{}: weight {}, {} training examples", t.name, t.weight, t.train.size()));
    throw ConfigError(fmt::format("the tasks give no training examples ({}); give a task with training data a "
                                  "positive weight",
                                  fmt::join(parts, "; ")));
  }
  for (const auto& t : tasks_) {
    // A training example must fit whole (prompt, answer and EOS are the targets).
    for (const auto* split : {&t.train, &t.eval}) {
      for (const auto& e : *split) {
        auto n = example_tokens(tokenizer, e) - 1;  // inputs: all but the last token
        for (const auto& c : e.choices)
          n = std::max<std::int64_t>(n, static_cast<std::int64_t>(tokenizer.encode(e.prompt).size() + tokenizer.encode(c).size()));
        if (n > max_seq_len)
          throw ConfigError(fmt::format("tasks.{}: {} example '{}' needs {} tokens, more than model.max_seq_len = {} "
                                        "(shorten the task's examples or use a model with a longer context)",
                                        t.name, split == &t.train ? "training" : "evaluation", e.id, n, max_seq_len));
      }
    }
  }
}

void TaskSet::format_prompts(const std::function<std::string(const std::string&)>& format) {
  for (auto& t : tasks_)
    for (auto* split : {&t.train, &t.eval})
      for (auto& e : *split) e.prompt = format(e.prompt);
}

std::vector<std::string> TaskSet::pretraining_documents() const {
  std::vector<std::string> docs;
  for (const auto& t : tasks_) {
    std::istringstream in(t.task->pretraining_text());
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) docs.push_back(line);
  }
  return docs;
}

std::map<std::string, std::string> TaskSet::tags() const {
  std::map<std::string, std::string> tags;
  for (const auto& t : tasks_) {
    for (const auto& [key, value] : t.task->tags()) tags["task." + t.name + "." + key] = value;
    for (const auto& [key, value] : t.task->stats()) tags["task." + t.name + ".stats." + key] = fmt::format("{}", value);
    tags["task." + t.name + ".examples"] = fmt::format("{} train / {} eval", t.train.size(), t.eval.size());
  }
  return tags;
}

}  // namespace remix::train
