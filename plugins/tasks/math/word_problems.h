// The built-in generator of multi-step arithmetic word problems with worked answers in GSM8K's format:
//
//   question  "Ann had 12 pens, got 5 more, then lost 3. How many?"
//   worked    "12+5=17. 17-3=14. #### 14"
//   story     "Ann had 12 pens, got 5 more, then lost 3. 12+5=17. 17-3=14. Ann has 14 pens."
//
// The question and worked answer are the finetuning example; the story (the same problem told with its
// solution, a form the examples never use) is what the pretraining text is made of. Steps apply left to
// right; a subtraction never takes more than there is, so every value is a whole number >= 0. Two problems
// with the same numbers and operations share a `key` whatever the names, which is what keeps splits apart.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tasks/common/rng.h"

namespace remix::tasks::math {

struct WordProblemOptions {
  int steps = 2;                    // operations after the starting amount
  std::int64_t max_number = 20;     // starting amount and added / taken amounts: 1..max
  std::int64_t max_multiplier = 3;  // multiplications by 2..max
  std::vector<std::string> operations{"add", "sub", "mul"};
};

struct WordProblem {
  std::string name, item;
  std::int64_t start = 0;
  std::vector<std::pair<char, std::int64_t>> steps;  // ('+' | '-' | '*', operand)
  std::int64_t result = 0;

  std::string key() const;  // "12+5-3"
  std::string question() const;
  std::string worked() const;  // ends with "#### <result>"
  std::string story() const;
};

// One random problem; throws std::invalid_argument when `options` allow no operation.
WordProblem make_word_problem(Rng& rng, const WordProblemOptions& options);

}  // namespace remix::tasks::math
