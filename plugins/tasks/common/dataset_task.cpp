// The shared part of every task plugin (see dataset_task.h).
#include "tasks/common/dataset_task.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "remix/errors.h"
#include "tasks/common/rng.h"
#include "tasks/common/text.h"

namespace remix::tasks {

DatasetTask::DatasetTask(const Params& params, const TaskContext& context)
    : context_(context),
      bad_records_(params.get_bool("skip_bad_records"), context.warn),
      data_seed_(params.get_int("data_seed") < 0 ? context.seed
                                                 : static_cast<std::uint64_t>(params.get_int("data_seed"))),
      n_train_(params.get_int("n_train")),
      n_eval_(params.get_int("n_eval")),
      few_shot_(params.get_int("few_shot")),
      max_example_bytes_(params.get_int("max_example_bytes")) {}

std::size_t example_bytes(const Example& e) {
  std::size_t target = e.answer.size();
  for (const auto& c : e.choices) target = std::max(target, c.size());
  return e.prompt.size() + target;
}

void DatasetTask::finish() {
  if (n_train_ > 0 && train_.size() > static_cast<std::size_t>(n_train_)) train_.resize(n_train_);
  if (n_eval_ > 0 && eval_.size() > static_cast<std::size_t>(n_eval_)) eval_.resize(n_eval_);
  if (few_shot_ > 0) {
    // Shots are the pool's zero-shot prompts: copy the pool before any prompt changes.
    const std::vector<Example> pool = few_shot_pool_.empty() ? train_ : few_shot_pool_;
    if (pool.size() <= static_cast<std::size_t>(few_shot_))
      throw ConfigError("tasks." + context_.name + ".few_shot: " + std::to_string(few_shot_) +
                        " shots need more than that many solved examples to draw from, there are " +
                        std::to_string(pool.size()));
    apply_few_shot(train_, pool);
    apply_few_shot(eval_, pool);
  }
  for (const auto* split : {&train_, &eval_})
    for (const auto& e : *split) longest_example_ = std::max<std::int64_t>(longest_example_, example_bytes(e));
  check_lengths();
}

void DatasetTask::apply_few_shot(std::vector<Example>& examples, const std::vector<Example>& pool) const {
  for (auto& e : examples) {
    Rng rng(data_seed_, "few-shot:" + e.id);
    std::vector<std::size_t> order(pool.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    rng.shuffle(order);
    std::string prefix, ids;
    int taken = 0;
    for (std::size_t i : order) {
      if (taken == few_shot_) break;
      if (pool[i].id == e.id) continue;  // an example is never its own shot
      const Example& shot = pool[i];
      std::string solved = shot.prompt + (shot.choices.empty() ? shot.answer : shot.choices[shot.label]);
      prefix += ends_with(solved, "\n") ? solved : solved + "\n";
      ids += (ids.empty() ? "" : ",") + shot.id;
      ++taken;
    }
    e.prompt = prefix + e.prompt;
    e.metadata["few_shot_ids"] = ids;
  }
}

void DatasetTask::check_lengths() const {
  if (max_example_bytes_ <= 0 || longest_example_ <= max_example_bytes_) return;
  for (const auto* split : {&train_, &eval_})
    for (const auto& e : *split)
      if (static_cast<std::int64_t>(example_bytes(e)) == longest_example_)
        throw ConfigError("tasks." + context_.name + ": example " + e.id + " is " + std::to_string(longest_example_) +
                          " bytes (prompt " + std::to_string(e.prompt.size()) + " + answer), over max_example_bytes " +
                          std::to_string(max_example_bytes_) +
                          "; make the examples shorter (fewer steps, smaller numbers, fewer shots) or set "
                          "max_example_bytes to the model's context (0 = no limit)");
}

std::map<std::string, double> DatasetTask::stats() const {
  return {{"train_examples", static_cast<double>(train_.size())},
          {"eval_examples", static_cast<double>(eval_.size())},
          {"skipped_records", static_cast<double>(bad_records_.total())},
          {"longest_example_bytes", static_cast<double>(longest_example_)}};
}

void DatasetTask::check_predictions(const std::vector<Example>& examples,
                                    const std::vector<Prediction>& predictions) const {
  if (predictions.size() != examples.size())
    throw std::invalid_argument("tasks." + context_.name + ": " + std::to_string(predictions.size()) +
                                " predictions for " + std::to_string(examples.size()) + " examples");
}

std::string DatasetTask::data_file(const Params& params, const std::string& key, const std::string& source,
                                   const std::string& hint) {
  const std::string& path = params.get_string(key);
  if (path.empty())
    throw DataError("tasks." + context_.name + "." + key + " is required when source is " + source + " (" + hint + ")");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw DataError("tasks." + context_.name + "." + key + ": data file not found: " + path);
  tags_[key] = path;
  return path;
}

std::string DatasetTask::builtin_file(const std::string& relative, const std::string& override_path) const {
  if (!override_path.empty()) return override_path;
  if (context_.data_dir.empty())
    throw DataError("tasks." + context_.name +
                    ": the host did not say where remix's datasets/ folder is, so the "
                    "built-in " +
                    relative + " cannot be found; set its path in the task's parameters");
  return (std::filesystem::path(context_.data_dir) / relative).string();
}

}  // namespace remix::tasks
