// ARC reading (see arc.h).
#include "tasks/knowledge/arc.h"

#include "remix/errors.h"
#include "tasks/common/jsonl.h"

namespace remix::tasks::knowledge {

std::vector<MultipleChoice> read_arc(const std::string& path, BadRecords& bad) {
  std::vector<MultipleChoice> questions;
  for (const auto& record : read_jsonl(path, bad)) {
    bad.guard([&] {
      MultipleChoice q;
      q.id = "arc/" + string_field(record, "id");
      const auto& question = field(record, "question");
      JsonRecord inner{question, record.where};  // field errors inside "question" keep the record's file:line
      if (!question.is_object()) throw DataError(record.where + ": field 'question' is not an object");
      q.question = string_field(inner, "stem");
      const auto& choices = field(inner, "choices");
      if (!choices.is_array() || choices.size() < 2 || choices.size() > 5)
        throw DataError(record.where + ": field 'question.choices' must be a list of 2 to 5 choices");
      std::string key = string_field(record, "answerKey"), labels;
      for (const auto& c : choices) {
        JsonRecord choice{c, record.where};
        if (!c.is_object()) throw DataError(record.where + ": a choice is not an object");
        std::string label = string_field(choice, "label");
        if (label == key) q.label = static_cast<std::int64_t>(q.choices.size());
        q.choices.push_back(string_field(choice, "text"));
        labels += (labels.empty() ? "" : ", ") + label;
      }
      if (q.label < 0)
        throw DataError(record.where + ": answerKey '" + key + "' is not among the choice labels " + labels);
      q.metadata["source"] = record.where;
      q.metadata["labels"] = labels;
      questions.push_back(std::move(q));
    });
  }
  bad.end_file(path);
  return questions;
}

}  // namespace remix::tasks::knowledge
