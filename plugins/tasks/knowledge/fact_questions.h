// The built-in fact-recall questions of the knowledge task, made from the fact table (fact_table.h).
//
// The entities are shuffled with the data seed and split: the first `eval_entities` are asked about in the
// eval split only, the rest in the train split only, so eval questions are about entities the finetuning
// never mentions. Every entity's facts, eval entities' included, are in the pretraining text as sentences
// ("Balplam lives in Vaktrin."), one a line in shuffled order; the questions ("Where does Balplam live?")
// use forms no sentence uses. So a model answers an eval question only by carrying what it learnt in
// pretraining over to the question-and-answer form it learnt in finetuning on other entities.
// Each question has `num_choices` choices: the entity's value and distractors drawn from the attribute's
// other values, in a seeded order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/knowledge/fact_table.h"
#include "tasks/knowledge/multiple_choice.h"

namespace remix::tasks::knowledge {

struct FactQuestionOptions {
  std::int64_t entities = 0;  // entities used, from the top of the table (0 = all)
  std::int64_t eval_entities = 60;
  std::vector<std::string> attributes;  // empty = all of the table's
  std::int64_t num_choices = 4;
  std::int64_t fact_forms = 0;  // fact sentences per fact in the pretraining text (0 = one per template)
};

struct FactQuestions {
  std::vector<MultipleChoice> train, eval;  // shuffled; metadata entity, attribute
  std::string pretraining;                  // one fact sentence a line
};

// Throws ConfigError for options the table cannot satisfy (more entities than it has, unknown attribute, too
// many eval entities,
// more choices than an attribute has values, an attribute without templates).
FactQuestions make_fact_questions(const FactTable& table, const FactTemplates& templates,
                                  const FactQuestionOptions& options, std::uint64_t seed);

}  // namespace remix::tasks::knowledge
