// Multiple-choice prompts and scoring (see multiple_choice.h).
#include "tasks/knowledge/multiple_choice.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "tasks/common/text.h"

namespace remix::tasks::knowledge {

Example to_example(const MultipleChoice& q, AnswerBy answer_by) {
  Example e;
  e.id = q.id;
  e.label = q.label;
  e.metadata = q.metadata;
  e.metadata["correct"] = q.choices[static_cast<std::size_t>(q.label)];
  if (answer_by == AnswerBy::Loglik) {
    e.prompt = "Q: " + q.question + "\nA:";
    for (const auto& c : q.choices) e.choices.push_back(" " + c);
    e.answer = e.choices[static_cast<std::size_t>(q.label)];
  } else {
    e.prompt = "Q: " + q.question + "\n";
    for (std::size_t i = 0; i < q.choices.size(); ++i) {
      std::string letter(1, static_cast<char>('A' + i));
      e.prompt += letter + ". " + q.choices[i] + "\n";
      e.choices.push_back(" " + letter);
    }
    e.prompt += "Answer:";
    e.answer = e.choices[static_cast<std::size_t>(q.label)] + "\n";
  }
  return e;
}

double score_answer(const Example& e, const Prediction& p, AnswerBy answer_by, bool length_normalize) {
  if (answer_by == AnswerBy::Letter) {
    std::string text = trim(cut_at_stop(p.text, {"\n"}));
    if (text.empty()) return 0.0;
    int letter = std::toupper(static_cast<unsigned char>(text[0]));
    return letter == 'A' + e.label ? 1.0 : 0.0;
  }
  if (p.choice_logprobs.size() != e.choices.size())
    throw std::invalid_argument("knowledge: example " + e.id + " has " + std::to_string(e.choices.size()) +
                                " choices but its prediction has " + std::to_string(p.choice_logprobs.size()) +
                                " log-likelihoods");
  std::size_t best = 0;
  double best_value = 0;
  for (std::size_t i = 0; i < e.choices.size(); ++i) {
    double value = p.choice_logprobs[i];
    if (length_normalize) value /= static_cast<double>(std::max<std::size_t>(1, e.choices[i].size()));
    if (i == 0 || value > best_value) {
      best = i;
      best_value = value;
    }
  }
  return static_cast<std::int64_t>(best) == e.label ? 1.0 : 0.0;
}

}  // namespace remix::tasks::knowledge
