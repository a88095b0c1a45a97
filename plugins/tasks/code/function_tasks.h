// The built-in generator of small Python function tasks with unit tests, short enough for the built-in
// model's 96-byte context:
//
//   prompt  "# each x in xs times 2, then plus 1\ndef f(xs):\n    return "
//   answer  "[x*2+1 for x in xs]\n"
//   tests   "assert f([3, 0, 7]) == [7, 1, 15]" ... (expected values computed here, not by Python)
//   line    "def f(xs): return [x*2+1 for x in xs]  # each x in xs times 2, then plus 1"   (pretraining)
//
// Families: arith f(a, b) ("a times b, then plus 3"), map f(xs), filter f(xs) ("each x in xs above 3, then
// times 2"), reduce f(xs) (sum / max / min / len, then arithmetic), string f(s) (in capitals, reversed,
// twice, first n letters). `steps` operations each, applied left to right (the code has parentheses where
// Python's precedence would say otherwise). A task's `spec` names its structure ("map|mul:2|add:1") and is
// what keeps splits apart: two tasks with one spec are the same task whatever their test inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/common/rng.h"

namespace remix::tasks::code {

struct FunctionTaskOptions {
  std::vector<std::string> families{"arith", "map", "filter", "reduce", "string"};
  int steps = 2;
  std::int64_t max_constant = 9;  // constants 1..max (multipliers 2..max, string prefixes 2..min(max, 5))
  int tests = 3;
};

struct FunctionTask {
  std::string family;
  std::string args;                // "a, b" | "xs" | "s"
  std::string description;         // the comment
  std::string expression;          // what f returns
  std::string spec;                // "map|mul:2|add:1", "filter:gt:3|mul:2", "reduce:sum|add:3", "arith:mul|add:3",
                                   // "string|reverse|upper|first:3"
  std::vector<std::string> tests;  // "assert f(...) == ..."

  std::string prompt() const;
  std::string pretraining_line() const;
};

// Throws std::invalid_argument when `options` name no family or an unknown one.
FunctionTask make_function_task(Rng& rng, const FunctionTaskOptions& options);

}  // namespace remix::tasks::code
