// HumanEval and MBPP reading (see benchmarks.h).
#include "tasks/code/benchmarks.h"

#include "remix/errors.h"
#include "tasks/common/jsonl.h"
#include "tasks/common/text.h"

namespace remix::tasks::code {

namespace {

// MBPP's code and setup use CR LF; Python does not mind, but prompts and answers should be plain text.
std::string unix_lines(const std::string& s) { return replace_all(s, "\r\n", "\n"); }

}  // namespace

CodeBenchmark read_humaneval(const std::string& path, BadRecords& bad) {
  CodeBenchmark out;
  for (const auto& record : read_jsonl(path, bad)) {
    bad.guard([&] {
      CodeProblem p;
      p.id = string_field(record, "task_id");
      p.prompt = string_field(record, "prompt");
      p.answer = string_field(record, "canonical_solution");
      p.program_prefix = p.prompt;
      p.tests = string_field(record, "test") + "\n\ncheck(" + string_field(record, "entry_point") + ")\n";
      p.where = record.where;
      out.eval.push_back(std::move(p));
    });
  }
  bad.end_file(path);
  return out;
}

CodeBenchmark read_mbpp(const std::string& path, BadRecords& bad) {
  CodeBenchmark out;
  for (const auto& record : read_jsonl(path, bad)) {
    bad.guard([&] {
      std::int64_t id = int_field(record, "task_id");
      auto asserts = string_list_field(record, "test_list");
      if (asserts.empty()) throw DataError(record.where + ": field 'test_list' is empty");
      CodeProblem p;
      p.id = "mbpp/" + std::to_string(id);
      p.prompt = "\"\"\"\n" + string_field(record, "text") + "\n" + asserts[0] + "\n\"\"\"\n";
      p.answer = unix_lines(string_field(record, "code"));
      if (!ends_with(p.answer, "\n")) p.answer += "\n";
      p.tests = unix_lines(string_field(record, "test_setup_code")) + "\n";
      for (const auto& a : asserts) p.tests += a + "\n";
      p.where = record.where;
      if (id >= 11 && id <= 510)
        out.eval.push_back(std::move(p));
      else if (id >= 601)
        out.train.push_back(std::move(p));
      else if (id >= 1 && id <= 10)
        out.few_shot_pool.push_back(std::move(p));
      else
        ++out.unused;
    });
  }
  bad.end_file(path);
  return out;
}

}  // namespace remix::tasks::code
