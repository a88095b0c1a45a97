// The `math` task plugin: GSM8K jsonl or built-in multi-step arithmetic word problems, prompted as
// "Q: <question>\nA: " with the worked answer (ending "#### N") as the target, scored by exact match of the
// final number (final_number.h says how numbers are found and compared).
//
// Built-in data comes from three disjoint streams of the data seed: eval problems, train problems whose
// numbers-and-operations key is not an eval key, and pretraining stories whose key is neither; so the model
// never sees an eval problem, nor a train problem in the pretraining text.
#include <remix/plugin.h>

#include <set>

#include "tasks/common/dataset_task.h"
#include "tasks/common/rng.h"
#include "tasks/common/task_params.h"
#include "tasks/common/text.h"
#include "tasks/math/final_number.h"
#include "tasks/math/gsm8k.h"
#include "tasks/math/word_problems.h"

namespace remix::tasks::math {
namespace {

using remix::param;
using remix::ParamType;

const remix::ParamSpec kParams[] = {
    param("source", ParamType::Choice, "builtin", "where problems come from").one_of("builtin|gsm8k"),
    params::data_file("train_file", "gsm8k: train jsonl (grade_school_math/data/train.jsonl)"),
    params::data_file("eval_file", "gsm8k: eval jsonl (grade_school_math/data/test.jsonl)"),
    params::n_train("train examples: built-in makes this many (0 = 2000); gsm8k takes the first N (0 = all)"),
    params::n_eval("eval examples: built-in makes this many (0 = 200); gsm8k takes the first N (0 = all)"),
    param("steps", ParamType::Int, "2", "built-in: operations after the starting amount").range(1, 4),
    param("max_number", ParamType::Int, "20", "built-in: largest starting, added or taken amount").range(2, 999),
    param("max_multiplier", ParamType::Int, "3", "built-in: largest multiplier").range(2, 9),
    param("operations", ParamType::StringList, "[add, sub, mul]", "built-in: operations problems use")
        .one_of("add|sub|mul"),
    param("pretrain_problems", ParamType::Int, "3000", "built-in: solved stories in the pretraining text")
        .range(0, 1e6),
    params::kFewShot,
    params::kDataSeed,
    params::kSkipBadRecords,
    params::kMaxExampleBytes,
};

constexpr const char* kGsm8kHint =
    "GSM8K: github.com/openai/grade-school-math, files grade_school_math/data/train.jsonl and test.jsonl";

Example make_example(const std::string& id, const std::string& question, const std::string& answer,
                     const std::string& gold, const std::string& where) {
  Example e;
  e.id = id;
  e.prompt = "Q: " + question + "\nA: ";
  e.answer = answer;
  e.metadata["gold"] = gold;
  if (!where.empty()) e.metadata["source"] = where;
  return e;
}

class MathTask : public DatasetTask {
 public:
  MathTask(const Params& p, const TaskContext& c) : DatasetTask(p, c), source_(p.get_string("source")) {
    tags_["source"] = source_;
    if (source_ == "gsm8k") {
      load_gsm8k(p);
    } else {
      build_problems(p);
    }
    finish();
  }

  EvalStyle eval_style() const override { return EvalStyle::Generate; }
  std::string metric_name() const override { return "exact_match"; }

  std::vector<double> score(const std::vector<Example>& examples, const std::vector<Prediction>& predictions) override {
    check_predictions(examples, predictions);
    std::vector<double> scores;
    for (std::size_t i = 0; i < examples.size(); ++i) {
      auto got = final_number(cut_at_stop(predictions[i].text, generation_.stop));
      scores.push_back(got && same_number(*got, examples[i].metadata.at("gold")) ? 1.0 : 0.0);
    }
    return scores;
  }

 private:
  void load_gsm8k(const Params& p) {
    // The worked solution spans lines, so the answer ends with a blank line, which is also where generation stops.
    generation_ = {512, {"\n\n", "\nQ:"}};
    auto read = [&](const char* key, const char* split, std::vector<Example>& out) {
      std::string path = data_file(p, key, "gsm8k", kGsm8kHint);
      auto problems = read_gsm8k(path, bad_records());
      for (std::size_t i = 0; i < problems.size(); ++i)
        out.push_back(make_example(std::string("gsm8k/") + split + "/" + std::to_string(i), problems[i].question,
                                   problems[i].answer + "\n\n", problems[i].gold, problems[i].where));
    };
    read("train_file", "train", train_);
    read("eval_file", "eval", eval_);
  }

  void build_problems(const Params& p) {
    generation_ = {48, {"\n"}};
    WordProblemOptions options;
    options.steps = static_cast<int>(p.get_int("steps"));
    options.max_number = p.get_int("max_number");
    options.max_multiplier = p.get_int("max_multiplier");
    options.operations = p.get_strings("operations");
    if (options.operations.empty()) throw ConfigError("tasks." + context().name + ".operations is empty");
    std::set<std::string> taken;  // keys already used by an earlier stream
    auto make = [&](Rng& rng) { return make_word_problem(rng, options); };
    auto fresh = [&](const WordProblem& wp) { return taken.insert(wp.key()).second; };
    auto draw_problems = [&](const char* stream, std::int64_t count, auto&& emit) {
      draw(stream, count, "problems", "ask for fewer, or allow more steps, operations or a larger max_number", make,
           fresh, emit);
    };
    auto as_example = [](const char* split, std::vector<Example>& out) {
      return [split, &out](const WordProblem& wp, std::int64_t i) {
        Example e = make_example(std::string("gen/") + split + "/" + std::to_string(i), wp.question(),
                                 wp.worked() + "\n", std::to_string(wp.result), "");
        e.metadata["start"] = std::to_string(wp.start);
        std::string steps;
        for (const auto& [op, n] : wp.steps)
          steps += (steps.empty() ? "" : " ") + std::string(1, op) + std::to_string(n);
        e.metadata["steps"] = steps;
        out.push_back(std::move(e));
      };
    };
    draw_problems("eval", requested_eval() > 0 ? requested_eval() : 200, as_example("eval", eval_));
    draw_problems("train", requested_train() > 0 ? requested_train() : 2000, as_example("train", train_));
    draw_problems("pretrain", p.get_int("pretrain_problems"),
                  [&](const WordProblem& wp, std::int64_t) { pretraining_ += wp.story() + "\n"; });
  }

  std::string source_;
};

}  // namespace
}  // namespace remix::tasks::math

REMIX_TASK_PLUGIN(remix::tasks::math::MathTask, "math", "1.0.0",
                  "arithmetic word problems: GSM8K jsonl or built-in multi-step problems; exact match of the final "
                  "number",
                  remix::tasks::math::kParams)
