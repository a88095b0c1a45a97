// A multiple-choice question as every knowledge source gives it, how it becomes an Example, and how an
// answer is scored.
//
// Two ways to answer (the `answer_by` parameter):
//   loglik  prompt "Q: <question>\nA:", choices " <choice>" (EvalStyle::Choices): the host gives the
//           log-likelihood of each choice after the prompt and the highest one is the answer (optionally
//           divided by the choice's length in bytes, `length_normalize`); ties go to the first.
//   letter  prompt "Q: <question>\nA. <choice 0>\nB. <choice 1>\n...\nAnswer:", answer " B\n"
//           (EvalStyle::Generate): the first letter of the generated text is the answer. The choices of the
//           Example are then the letters " A", " B", ..., which also lets a host score letters by likelihood.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "remix/task.h"

namespace remix::tasks::knowledge {

struct MultipleChoice {
  std::string id;
  std::string question;
  std::vector<std::string> choices;
  std::int64_t label = -1;                      // index of the correct choice
  std::map<std::string, std::string> metadata;  // source file:line, subject, entity, ...
};

enum class AnswerBy { Loglik, Letter };

Example to_example(const MultipleChoice& q, AnswerBy answer_by);

// 1 or 0 for one prediction (see the header comment); throws std::invalid_argument when a loglik prediction
// has not one log-likelihood per choice.
double score_answer(const Example& e, const Prediction& p, AnswerBy answer_by, bool length_normalize);

}  // namespace remix::tasks::knowledge
