// Reading GSM8K jsonl (github.com/openai/grade-school-math, grade_school_math/data/{train,test}.jsonl): one
// object per line with `question` and `answer`, the answer's worked solution ending in "#### N". The
// calculator annotations of the worked solution ("<<48/2=24>>") are removed: they are GSM8K's tool markup,
// not part of the solution a model should write. Blank lines inside a solution (a handful of records have
// them) become single line breaks, because the math task ends every answer with a blank line.
#pragma once

#include <string>
#include <vector>

#include "tasks/common/bad_records.h"

namespace remix::tasks::math {

struct Gsm8kProblem {
  std::string question;
  std::string answer;  // worked solution without calculator annotations or blank lines, ending "#### N"
  std::string gold;    // N, as written after "####"
  std::string where;   // file:line
};

// Bad records: invalid JSON, a missing or non-string field, an answer without a number after "####".
std::vector<Gsm8kProblem> read_gsm8k(const std::string& path, BadRecords& bad);

std::string strip_calculator_annotations(const std::string& answer);

}  // namespace remix::tasks::math
