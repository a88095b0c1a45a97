// The `knowledge` task plugin: multiple-choice questions from ARC jsonl, MMLU csv, or the built-in fact table
// (fact_questions.h), answered by choice log-likelihood (default) or by a generated letter
// (multiple_choice.h); metric accuracy.
#include <remix/plugin.h>

#include "tasks/common/dataset_task.h"
#include "tasks/common/task_params.h"
#include "tasks/knowledge/arc.h"
#include "tasks/knowledge/fact_questions.h"
#include "tasks/knowledge/mmlu.h"

namespace remix::tasks::knowledge {
namespace {

using remix::param;
using remix::ParamType;

const remix::ParamSpec kParams[] = {
    param("source", ParamType::Choice, "builtin", "where questions come from").one_of("builtin|arc|mmlu"),
    params::data_file("train_file",
                      "arc: train jsonl (e.g. ARC-Easy-Train.jsonl); mmlu: a csv file or a folder "
                      "of them (e.g. dev/)"),
    params::data_file("eval_file",
                      "arc: eval jsonl (e.g. ARC-Easy-Test.jsonl); mmlu: a csv file or a folder of "
                      "them (e.g. test/)"),
    params::n_train("at most this many train questions (0 = all)"),
    params::n_eval("at most this many eval questions (0 = all)"),
    param("answer_by", ParamType::Choice, "loglik",
          "loglik: pick the choice with the highest log-likelihood (EvalStyle::Choices); letter: list lettered "
          "choices and read the generated letter")
        .one_of("loglik|letter"),
    param("length_normalize", ParamType::Bool, "false", "loglik: divide each choice's log-likelihood by its bytes"),
    param("facts_file", ParamType::String, "", "built-in: fact table (empty = datasets/facts/entities.tsv)"),
    param("templates_file", ParamType::String, "", "built-in: templates (empty = datasets/facts/templates.tsv)"),
    param("entities", ParamType::Int, "100",
          "built-in: entities used, from the top of the fact table (0 = all 300); fewer are memorised sooner in "
          "pretraining")
        .range(0, 1e6),
    param("eval_entities", ParamType::Int, "30", "built-in: entities asked about only in eval (held out of train)")
        .range(1, 1e6),
    param("attributes", ParamType::StringList, "[]", "built-in: attributes asked about (empty = all)"),
    param("num_choices", ParamType::Int, "4", "built-in: choices per question").range(2, 5),
    param("fact_forms", ParamType::Int, "0",
          "built-in: sentences per fact in the pretraining text (0 = one per fact template)")
        .range(0, 16),
    params::kFewShot,
    params::kDataSeed,
    params::kSkipBadRecords,
    params::kMaxExampleBytes,
};

constexpr const char* kArcHint = "ARC: allenai.org/data/arc, ARC-V1-Feb2018, files ARC-{Easy,Challenge}-*.jsonl";
constexpr const char* kMmluHint = "MMLU: github.com/hendrycks/test, data.tar, folders dev/ and test/";

class KnowledgeTask : public DatasetTask {
 public:
  KnowledgeTask(const Params& p, const TaskContext& c)
      : DatasetTask(p, c),
        answer_by_(p.get_string("answer_by") == "letter" ? AnswerBy::Letter : AnswerBy::Loglik),
        length_normalize_(p.get_bool("length_normalize")) {
    std::string source = p.get_string("source");
    tags_["source"] = source;
    tags_["answer_by"] = p.get_string("answer_by");
    std::vector<MultipleChoice> train, eval;
    if (source == "builtin") {
      build_fact_questions(p, train, eval);
    } else {
      auto read = source == "arc" ? read_arc : read_mmlu;
      const char* hint = source == "arc" ? kArcHint : kMmluHint;
      for (auto [key, out] : {std::pair{"train_file", &train}, std::pair{"eval_file", &eval}}) {
        *out = read(data_file(p, key, source, hint), bad_records());
      }
    }
    for (const auto& q : train) train_.push_back(to_example(q, answer_by_));
    for (const auto& q : eval) eval_.push_back(to_example(q, answer_by_));
    generation_ = {4, {"\n"}};
    finish();
  }

  EvalStyle eval_style() const override {
    return answer_by_ == AnswerBy::Loglik ? EvalStyle::Choices : EvalStyle::Generate;
  }
  std::string metric_name() const override { return "accuracy"; }

  std::vector<double> score(const std::vector<Example>& examples, const std::vector<Prediction>& predictions) override {
    check_predictions(examples, predictions);
    std::vector<double> scores;
    for (std::size_t i = 0; i < examples.size(); ++i)
      scores.push_back(score_answer(examples[i], predictions[i], answer_by_, length_normalize_));
    return scores;
  }

 private:
  void build_fact_questions(const Params& p, std::vector<MultipleChoice>& train, std::vector<MultipleChoice>& eval) {
    std::string facts_path = builtin_file("facts/entities.tsv", p.get_string("facts_file"));
    std::string templates_path = builtin_file("facts/templates.tsv", p.get_string("templates_file"));
    FactTable table = read_fact_table(facts_path);
    FactQuestionOptions options;
    options.entities = p.get_int("entities");
    options.eval_entities = p.get_int("eval_entities");
    options.attributes = p.get_strings("attributes");
    options.num_choices = p.get_int("num_choices");
    options.fact_forms = p.get_int("fact_forms");
    auto made = make_fact_questions(table, read_fact_templates(templates_path, table), options, data_seed());
    train = std::move(made.train);
    eval = std::move(made.eval);
    pretraining_ = std::move(made.pretraining);
    tags_["facts_file"] = facts_path;
  }

  AnswerBy answer_by_;
  bool length_normalize_;
};

}  // namespace
}  // namespace remix::tasks::knowledge

REMIX_TASK_PLUGIN(remix::tasks::knowledge::KnowledgeTask, "knowledge", "1.0.0",
                  "multiple-choice knowledge: ARC jsonl, MMLU csv or built-in fact recall about made-up entities "
                  "held out of finetuning; accuracy",
                  remix::tasks::knowledge::kParams)
