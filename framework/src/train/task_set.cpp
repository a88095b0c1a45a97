// The trial's tasks (see task_set.h).
#include "train/task_set.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <set>
#include <sstream>

#include "common/build_info.h"
#include "common/log.h"
#include "common/seed_mix.h"
#include "plugin/library.h"
#include "remix/errors.h"

namespace remix::train {

std::int64_t example_tokens(const model::Tokenizer& tokenizer, const Example& e) {
  return static_cast<std::int64_t>(tokenizer.encode(e.prompt).size() + tokenizer.encode(e.answer).size()) + 2;
}

std::vector<Example> hold_out_validation(std::vector<Example>& train, std::int64_t count, const std::string& task) {
  if (count <= 0 || train.empty()) return {};
  // Groups in order of first appearance, then a permutation of them keyed by the task's name.
  std::vector<std::string> group_of(train.size());
  std::vector<std::string> groups;
  std::map<std::string, std::size_t> sizes;
  for (std::size_t i = 0; i < train.size(); ++i) {
    auto it = train[i].metadata.find("split_group");
    group_of[i] = it == train[i].metadata.end() ? "#" + std::to_string(i) : "=" + it->second;
    if (sizes[group_of[i]]++ == 0) groups.push_back(group_of[i]);
  }
  std::uint64_t state = mix_seed(0x76616c6964ULL /* "valid" */, task.size());  // std::hash differs between libraries
  for (char c : task) state = mix_seed(state, static_cast<unsigned char>(c));
  for (std::size_t i = groups.size(); i > 1; --i) std::swap(groups[i - 1], groups[splitmix64(state) % i]);
  std::set<std::string> held;
  std::size_t taken = 0;
  for (const auto& g : groups) {
    if (taken >= static_cast<std::size_t>(count)) break;
    held.insert(g);
    taken += sizes[g];
  }
  if (taken >= train.size())
    throw ConfigError(
        fmt::format("eval.validation = {} would hold out all {} training examples of task '{}'{}; "
                    "hold out fewer",
                    count, train.size(), task, groups.size() < train.size() ? " (whole split groups)" : ""));
  std::vector<Example> kept, validation;
  for (std::size_t i = 0; i < train.size(); ++i)
    (held.count(group_of[i]) ? validation : kept).push_back(std::move(train[i]));
  train = std::move(kept);
  return validation;
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
    t.validation = hold_out_validation(t.train, cfg.get_int("eval.validation"), name);
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
    for (const auto* split : {&t.train, &t.validation, &t.eval}) {
      for (const auto& e : *split) {
        auto n = example_tokens(tokenizer, e) - 1;  // inputs: all but the last token
        for (const auto& c : e.choices)
          n = std::max<std::int64_t>(n, static_cast<std::int64_t>(tokenizer.encode(e.prompt).size() + tokenizer.encode(c).size()));
        if (n > max_seq_len)
          throw ConfigError(
              fmt::format("tasks.{}: {} example '{}' needs {} tokens, more than model.max_seq_len = {} "
                          "(shorten the task's examples or use a model with a longer context)",
                          t.name,
                          split == &t.eval    ? "evaluation"
                          : split == &t.train ? "training"
                                              : "validation",
                          e.id, n, max_seq_len));
      }
    }
  }
}

void TaskSet::format_prompts(const std::function<std::string(const std::string&)>& format) {
  for (auto& t : tasks_)
    for (auto* split : {&t.train, &t.validation, &t.eval})
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
    tags["task." + t.name + ".examples"] =
        t.validation.empty() ? fmt::format("{} train / {} eval", t.train.size(), t.eval.size())
                             : fmt::format("{} train / {} validation / {} eval", t.train.size(), t.validation.size(),
                                           t.eval.size());
  }
  return tags;
}

}  // namespace remix::train
