// Word-problem generation and wording (see word_problems.h).
#include "tasks/math/word_problems.h"

#include <algorithm>
#include <stdexcept>

namespace remix::tasks::math {

namespace {

const std::vector<std::string> kNames = {"Ann", "Bob", "Eve", "Tom", "Ivy", "Sam", "Mia", "Max", "Zoe", "Leo"};
// Short words: a two-step problem with its worked answer fits in 96 bytes.
const std::vector<std::string> kItems = {"pens", "cups", "eggs", "hats", "keys", "cans", "pins", "nuts"};

// How each operation is told; {n} is the operand.
std::string phrase(char op, std::int64_t n, std::size_t variant) {
  static const std::vector<std::string> add = {"got {n} more", "found {n}", "bought {n}", "won {n}"};
  static const std::vector<std::string> sub = {"lost {n}", "sold {n}", "used {n}"};
  if (op == '*') return n == 2 ? "doubled them" : n == 3 ? "tripled them" : "multiplied them by " + std::to_string(n);
  const auto& options = op == '+' ? add : sub;
  std::string p = options[variant % options.size()];
  return p.replace(p.find("{n}"), 3, std::to_string(n));
}

std::int64_t apply(std::int64_t value, char op, std::int64_t n) {
  return op == '+' ? value + n : op == '-' ? value - n : value * n;
}

}  // namespace

WordProblem make_word_problem(Rng& rng, const WordProblemOptions& options) {
  std::vector<char> allowed;
  for (const auto& name : options.operations) allowed.push_back(name == "add" ? '+' : name == "sub" ? '-' : '*');
  if (allowed.empty()) throw std::invalid_argument("operations is empty: no word problem can be made");
  WordProblem p;
  p.name = rng.pick(kNames);
  p.item = rng.pick(kItems);
  p.start = rng.uniform(1, options.max_number);
  p.result = p.start;
  for (int s = 0; s < options.steps; ++s) {
    char op = rng.pick(allowed);
    if (op == '-' && p.result == 0) op = '+';  // nothing left to take away
    std::int64_t n = op == '*'   ? rng.uniform(2, options.max_multiplier)
                     : op == '-' ? rng.uniform(1, std::min(p.result, options.max_number))
                                 : rng.uniform(1, options.max_number);
    p.steps.emplace_back(op, n);
    p.result = apply(p.result, op, n);
  }
  return p;
}

std::string WordProblem::key() const {
  std::string k = std::to_string(start);
  for (const auto& [op, n] : steps) k += op + std::to_string(n);
  return k;
}

namespace {

// "Ann had 12 pens, got 5 more, then lost 3." (the wording both forms share)
std::string setup(const WordProblem& p) {
  std::string s = p.name + " had " + std::to_string(p.start) + " " + p.item;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const auto& [op, n] = p.steps[i];
    // The wording is chosen from the step itself, so the same problem is always told the same way.
    s += (i + 1 == p.steps.size() && i > 0 ? ", then " : ", ") + phrase(op, n, static_cast<std::size_t>(n) + i);
  }
  return s + ".";
}

}  // namespace

std::string WordProblem::question() const { return setup(*this) + " How many?"; }

std::string WordProblem::worked() const {
  std::string w;
  std::int64_t value = start;
  for (const auto& [op, n] : steps) {
    std::int64_t next = apply(value, op, n);
    w += std::to_string(value) + op + std::to_string(n) + "=" + std::to_string(next) + ". ";
    value = next;
  }
  return w + "#### " + std::to_string(result);
}

std::string WordProblem::story() const {
  std::string w = worked();
  return setup(*this) + " " + w.substr(0, w.find("####")) + name + " has " + std::to_string(result) + " " + item + ".";
}

}  // namespace remix::tasks::math
