// GSM8K reading (see gsm8k.h).
#include "tasks/math/gsm8k.h"

#include "remix/errors.h"
#include "tasks/common/jsonl.h"
#include "tasks/common/text.h"
#include "tasks/math/final_number.h"

namespace remix::tasks::math {

std::string strip_calculator_annotations(const std::string& answer) {
  std::string out;
  for (std::size_t i = 0; i < answer.size();) {
    auto open = answer.find("<<", i);
    auto close = open == std::string::npos ? std::string::npos : answer.find(">>", open + 2);
    if (close == std::string::npos) {
      out += answer.substr(i);
      break;
    }
    out += answer.substr(i, open - i);
    i = close + 2;
  }
  return out;
}

std::vector<Gsm8kProblem> read_gsm8k(const std::string& path, BadRecords& bad) {
  std::vector<Gsm8kProblem> problems;
  for (const auto& record : read_jsonl(path, bad)) {
    bad.guard([&] {
      Gsm8kProblem p;
      p.where = record.where;
      p.question = string_field(record, "question");
      std::string raw = string_field(record, "answer");
      auto gold = raw.find("####") == std::string::npos ? std::nullopt : final_number(raw);
      if (!gold) throw DataError(record.where + ": field 'answer' does not end with '#### <number>'");
      p.gold = *gold;
      // A few answers have blank lines between steps; the blank line ends an answer here (see gsm8k.h).
      p.answer = strip_calculator_annotations(raw);
      while (p.answer.find("\n\n") != std::string::npos) p.answer = replace_all(p.answer, "\n\n", "\n");
      problems.push_back(std::move(p));
    });
  }
  bad.end_file(path);
  return problems;
}

}  // namespace remix::tasks::math
