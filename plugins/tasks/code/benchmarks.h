// Reading the real code benchmarks into program pieces: what the model is prompted with, the reference
// solution, and the text that goes before and after a candidate to make the program the executor runs
// (program = prefix + candidate + "\n\n" + tests).
//
// HumanEval (github.com/openai/human-eval, data/HumanEval.jsonl.gz, gunzipped): {task_id, prompt,
//   canonical_solution, test, entry_point}. The candidate continues the prompt (a signature and docstring),
//   so the prefix is the prompt; tests = test + "check(<entry_point>)". All 164 problems are eval problems.
// MBPP (github.com/google-research/google-research, mbpp/mbpp.jsonl): {task_id, text, code, test_list,
//   test_setup_code, challenge_test_list}. Prompted as a docstring with the description and the first test
//   (the form of the bigcode evaluation harness); the candidate is a whole program, so the prefix is empty and
//   tests = test_setup_code + the asserts of test_list (setup goes after the candidate: it may use its
//   classes). Splits by task_id as the dataset's authors use them: 11-510 eval, 601-974 train, 1-10 the
//   few-shot pool; 511-600 (validation) is not used. challenge_test_list is not used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/common/bad_records.h"

namespace remix::tasks::code {

struct CodeProblem {
  std::string id;
  std::string prompt;
  std::string answer;          // the reference solution
  std::string program_prefix;  // before the candidate
  std::string tests;           // after the candidate
  std::string where;           // file:line
};

struct CodeBenchmark {
  std::vector<CodeProblem> train, eval, few_shot_pool;
  std::int64_t unused = 0;  // records of no split (MBPP validation)
};

CodeBenchmark read_humaneval(const std::string& path, BadRecords& bad);
CodeBenchmark read_mbpp(const std::string& path, BadRecords& bad);

}  // namespace remix::tasks::code
