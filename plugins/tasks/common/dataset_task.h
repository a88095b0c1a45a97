// The base of the task plugins: holds the train and eval examples a task builds in its constructor and does
// what every task does with them, once: the common parameters (task_params.h), the example caps, few-shot
// prompts, the length check against the model's context, the data-file checks, and the stats and tags the
// host stores with the run. A task fills train_ / eval_ (and generation_, pretraining_, tags_), then calls
// finish().
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "remix/errors.h"
#include "remix/task.h"
#include "tasks/common/bad_records.h"
#include "tasks/common/rng.h"

namespace remix::tasks {

class DatasetTask : public Task {
 public:
  std::vector<Example> examples(Split split) override { return split == Split::Train ? train_ : eval_; }
  GenerationSpec generation() const override { return generation_; }
  std::string pretraining_text() override { return pretraining_; }
  std::map<std::string, double> stats() const override;
  std::map<std::string, std::string> tags() const override { return tags_; }

 protected:
  DatasetTask(const Params& params, const TaskContext& context);

  // Caps the splits at n_train / n_eval, puts few_shot solved train examples (from few_shot_pool_, or the
  // train split when that is empty) before every prompt, and refuses the config (ConfigError) when an example
  // is longer than max_example_bytes.
  void finish();

  // The data file a source needs, from the string parameter `key`: a DataError when it is empty (saying which
  // source needs it and where to get it: `hint`) or when nothing is there. Recorded in the tags as `key`.
  std::string data_file(const Params& params, const std::string& key, const std::string& source,
                        const std::string& hint);
  // A file under the context's datasets/ folder (built-in data), unless `override_path` names another.
  std::string builtin_file(const std::string& relative, const std::string& override_path) const;

  // Draws `count` generated items from the data seed's stream `stream`: `make(rng)` makes one, `accept(item)`
  // keeps it or not (a key seen before, another split's), `emit(item, index)` takes the kept ones. Refuses the
  // config when the generator cannot find that many (200 draws per item): "only N distinct <stream> <what>
  // exist ...; <hint>".
  template <class Make, class Accept, class Emit>
  void draw(const std::string& stream, std::int64_t count, const std::string& what, const std::string& hint,
            Make&& make, Accept&& accept, Emit&& emit) const {
    Rng rng(data_seed_, stream);
    for (std::int64_t made = 0, tries = 0; made < count;) {
      if (++tries > 200 * count + 1000)
        throw ConfigError("tasks." + context_.name + ": only " + std::to_string(made) + " distinct " + stream + " " +
                          what + " exist beside the other splits with these settings; " + hint);
      auto item = make(rng);
      if (accept(item)) emit(item, made++);
    }
  }
  // Throws std::invalid_argument unless there is one prediction per example (a host bug, not bad input).
  void check_predictions(const std::vector<Example>& examples, const std::vector<Prediction>& predictions) const;

  const TaskContext& context() const { return context_; }
  BadRecords& bad_records() { return bad_records_; }
  std::uint64_t data_seed() const { return data_seed_; }
  std::int64_t requested_train() const { return n_train_; }  // 0 = all, or the generator's default
  std::int64_t requested_eval() const { return n_eval_; }

  std::vector<Example> train_, eval_;
  std::vector<Example> few_shot_pool_;
  GenerationSpec generation_;
  std::string pretraining_;
  std::map<std::string, std::string> tags_;

 private:
  void apply_few_shot(std::vector<Example>& examples, const std::vector<Example>& pool) const;
  void check_lengths() const;

  TaskContext context_;
  BadRecords bad_records_;
  std::uint64_t data_seed_;
  std::int64_t n_train_, n_eval_, few_shot_, max_example_bytes_;
  std::int64_t longest_example_ = 0;
};

// The length the context must hold for one example: prompt + the longer of the answer and every choice.
std::size_t example_bytes(const Example& e);

}  // namespace remix::tasks
