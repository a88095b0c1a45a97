// The tasks of a trial: each task plugin instantiated with its context, its train and eval examples read
// once, the validation examples held out of training (eval.validation), its sampling weight, and the checks that
// need all of them together (some training data at all, every example within the model's context). Also the base
// model's pretraining corpus.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/resolved_config.h"
#include "model/tokenizer.h"
#include "remix/task.h"

namespace remix::train {

struct TrialTask {
  std::string name;   // the key under `tasks`
  std::shared_ptr<Task> task;
  double weight = 1;  // share of training sequences (0: evaluated only)
  std::vector<Example> train, eval;
  std::vector<Example> validation;  // held out of the plugin's training examples; never trained on
};

// Moves at least `count` examples (whole split_groups, see remix/task.h) out of `train` into the returned validation
// split. Which groups is fixed by the task's name, not by the trial seed, so a dataset read from files gives every
// seed of a sweep the same validation examples. ConfigError naming eval.validation when too few would be left.
std::vector<Example> hold_out_validation(std::vector<Example>& train, std::int64_t count, const std::string& task);

class TaskSet {
 public:
  // Starts every task plugin of the config (PluginError for one that cannot start).
  explicit TaskSet(const config::ResolvedConfig& cfg);

  const std::vector<TrialTask>& tasks() const { return tasks_; }
  // Throws ConfigError naming tasks.<name>.weight when no task with a positive weight has training examples,
  // and naming model.max_seq_len when an example does not fit the context with `tokenizer`.
  void check_fits(const model::Tokenizer& tokenizer, std::int64_t max_seq_len) const;
  // Rewrites every example's prompt (train and eval) as `format` turns a user message into a prompt: how
  // base.prompt_format: chat reaches every consumer of the examples.
  void format_prompts(const std::function<std::string(const std::string&)>& format);
  // The pretraining documents of all tasks, one per line, in task-name order.
  std::vector<std::string> pretraining_documents() const;
  // Counters and descriptive tags of each task, as run tags ("task.<name>.<key>").
  std::map<std::string, std::string> tags() const;

 private:
  std::vector<TrialTask> tasks_;
};

// Tokens of an example as trained: BOS, prompt, answer, EOS.
std::int64_t example_tokens(const model::Tokenizer& tokenizer, const Example& e);

}  // namespace remix::train
