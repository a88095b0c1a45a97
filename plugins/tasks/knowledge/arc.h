// Reading ARC jsonl (allenai.org/data/arc, ARC-V1-Feb2018: ARC-{Easy,Challenge}-{Train,Dev,Test}.jsonl): one
// object per line, {"id", "question": {"stem", "choices": [{"text", "label"}, ...]}, "answerKey"}. Labels are
// letters (A-E) in most questions and digits (1-5) in a few hundred; either way the correct choice is the
// position of answerKey among the labels, and the choices keep their file order. Bad records: invalid JSON, a
// missing field, fewer than 2 or more than 5 choices, an answerKey that is not one of the labels.
#pragma once

#include <string>
#include <vector>

#include "tasks/common/bad_records.h"
#include "tasks/knowledge/multiple_choice.h"

namespace remix::tasks::knowledge {

// Questions get the id "arc/<ARC id>" and metadata source (file:line) and labels (the original labels, "1234").
std::vector<MultipleChoice> read_arc(const std::string& path, BadRecords& bad);

}  // namespace remix::tasks::knowledge
