// Function-task generation (see function_tasks.h). Every family builds three things side by side from the
// same random choices: the Python expression, its English description, and a C++ evaluation of it that gives
// the expected values of the tests.
#include "tasks/code/function_tasks.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <stdexcept>

namespace remix::tasks::code {

namespace {

struct IntOp {
  char symbol;  // '+', '-', '*'
  std::int64_t constant;
};

const char* op_name(char symbol) { return symbol == '+' ? "add" : symbol == '-' ? "sub" : "mul"; }
const char* op_words(char symbol) { return symbol == '+' ? "plus" : symbol == '-' ? "minus" : "times"; }
std::int64_t apply(std::int64_t v, char symbol, std::int64_t c) {
  return symbol == '+' ? v + c : symbol == '-' ? v - c : v * c;
}

IntOp random_int_op(Rng& rng, std::int64_t max_constant) {
  char symbol = "+-*"[rng.index(3)];
  return {symbol,
          symbol == '*' ? rng.uniform(2, std::max<std::int64_t>(2, max_constant)) : rng.uniform(1, max_constant)};
}

// A Python expression being built left to right, with parentheses where precedence needs them.
struct Expr {
  std::string text;
  bool additive = false;  // a + or - at its top level (a following * needs parentheses)
  bool starred = false;   // a * at its top level (a following method call or slice needs parentheses)
  void wrap() {
    text = "(" + text + ")";
    additive = starred = false;
  }
};

void append_int_op(Expr& e, const IntOp& op) {
  if (op.symbol == '*' && e.additive) e.wrap();
  e.text += op.symbol + std::to_string(op.constant);
  e.additive = op.symbol != '*';
}

std::string repr(std::int64_t v) { return std::to_string(v); }
std::string repr(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
std::string repr(const std::string& s) { return "'" + s + "'"; }

std::vector<std::int64_t> random_list(Rng& rng) {
  std::vector<std::int64_t> xs(static_cast<std::size_t>(rng.uniform(3, 5)));
  for (auto& x : xs) x = rng.uniform(0, 9);
  return xs;
}

// Draws test inputs until the tests tell solutions apart: at least two different expected values, and
// `input_ok` for every input (e.g. a filter both keeps and drops something).
template <class Input>
void add_tests(FunctionTask& t, int count, const std::function<Input()>& draw,
               const std::function<std::string(const Input&)>& call,
               const std::function<std::string(const Input&)>& expect,
               const std::function<bool(const Input&)>& input_ok = nullptr) {
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> tests;
    std::set<std::string> outputs;
    bool ok = true;
    for (int i = 0; i < count; ++i) {
      Input in = draw();
      ok = ok && (!input_ok || input_ok(in));
      outputs.insert(expect(in));
      tests.push_back("assert f(" + call(in) + ") == " + expect(in));
    }
    if ((ok && (outputs.size() > 1 || count == 1)) || attempt == 100) {
      t.tests = tests;
      return;
    }
  }
}

void make_numeric(FunctionTask& t, Rng& rng, const FunctionTaskOptions& o) {
  // The head: what the remaining steps act on.
  Expr e;
  std::function<std::int64_t(const std::vector<std::int64_t>&)> head;  // for reduce
  std::string cmp;
  std::int64_t bound = 0;
  char combine = '+';
  int int_steps = o.steps;
  if (t.family == "arith") {
    combine = "+-*"[rng.index(3)];
    e.text = std::string("a") + combine + "b";
    e.additive = combine != '*';
    t.args = "a, b";
    t.description = std::string("a ") + op_words(combine) + " b";
    t.spec = std::string("arith:") + op_name(combine);
    --int_steps;
  } else if (t.family == "reduce") {
    static const std::vector<std::string> aggs = {"sum", "max", "min", "len"};
    std::string agg = rng.pick(aggs);
    e.text = agg + "(xs)";
    t.args = "xs";
    t.description = agg == "sum"   ? "the sum of xs"
                    : agg == "max" ? "the largest x in xs"
                    : agg == "min" ? "the smallest x in xs"
                                   : "the length of xs";
    t.spec = "reduce:" + agg;
    head = [agg](const std::vector<std::int64_t>& xs) -> std::int64_t {
      if (agg == "len") return static_cast<std::int64_t>(xs.size());
      if (agg == "max") return *std::max_element(xs.begin(), xs.end());
      if (agg == "min") return *std::min_element(xs.begin(), xs.end());
      std::int64_t s = 0;
      for (auto x : xs) s += x;
      return s;
    };
    --int_steps;
  } else {
    e.text = "x";
    t.args = "xs";
    t.description = "each x in xs";
    t.spec = t.family;
    if (t.family == "filter") {
      cmp = rng.index(2) ? "gt" : "lt";
      bound = rng.uniform(1, 8);
      t.description += std::string(cmp == "gt" ? " above " : " below ") + std::to_string(bound);
      t.spec += ":" + cmp + ":" + std::to_string(bound);
      --int_steps;
    }
  }
  std::vector<IntOp> ops;
  for (int s = 0; s < int_steps; ++s) {
    ops.push_back(random_int_op(rng, o.max_constant));
    append_int_op(e, ops.back());
    bool first_words = t.family == "map" && s == 0;
    t.description += std::string(first_words ? " " : ", then ") + op_words(ops.back().symbol) + " " +
                     std::to_string(ops.back().constant);
    t.spec += std::string("|") + op_name(ops.back().symbol) + ":" + std::to_string(ops.back().constant);
  }
  auto chain = [ops](std::int64_t v) {
    for (const auto& op : ops) v = apply(v, op.symbol, op.constant);
    return v;
  };
  if (t.family == "arith") {
    t.expression = e.text;
    using Pair = std::pair<std::int64_t, std::int64_t>;
    add_tests<Pair>(
        t, o.tests,
        [&] {
          return Pair{rng.uniform(0, 9), rng.uniform(0, 9)};
        },
        [](const Pair& p) { return std::to_string(p.first) + ", " + std::to_string(p.second); },
        [&](const Pair& p) { return repr(chain(apply(p.first, combine, p.second))); });
    return;
  }
  using List = std::vector<std::int64_t>;
  auto list_repr = [](const List& xs) { return repr(xs); };
  auto draw = [&] { return random_list(rng); };
  if (t.family == "reduce") {
    t.expression = e.text;
    add_tests<List>(t, o.tests, draw, list_repr, [&](const List& xs) { return repr(chain(head(xs))); });
    return;
  }
  auto keep = [cmp, bound](std::int64_t x) { return cmp.empty() || (cmp == "gt" ? x > bound : x < bound); };
  t.expression = "[" + e.text + " for x in xs" +
                 (cmp.empty() ? "" : std::string(" if x") + (cmp == "gt" ? ">" : "<") + std::to_string(bound)) + "]";
  add_tests<List>(
      t, o.tests, draw, list_repr,
      [&](const List& xs) {
        List out;
        for (auto x : xs)
          if (keep(x)) out.push_back(chain(x));
        return repr(out);
      },
      [&](const List& xs) {
        bool kept = false, dropped = false;
        for (auto x : xs) (keep(x) ? kept : dropped) = true;
        return cmp.empty() || (kept && dropped);
      });
}

void make_string(FunctionTask& t, Rng& rng, const FunctionTaskOptions& o) {
  static const std::vector<std::string> kinds = {"upper", "reverse", "twice", "first"};
  std::vector<std::pair<std::string, std::int64_t>> ops;
  Expr e{"s"};
  t.args = "s";
  t.description = "s";
  t.spec = "string";
  for (int s = 0; s < o.steps; ++s) {
    std::string kind;
    do kind = rng.pick(kinds);
    while (!ops.empty() && ops.back().first == kind);  // "reversed, then reversed" is no task
    std::int64_t k = kind == "first" ? rng.uniform(2, std::clamp<std::int64_t>(o.max_constant, 2, 5)) : 0;
    ops.emplace_back(kind, k);
    if (kind != "twice" && e.starred) e.wrap();
    if (kind == "upper") e.text += ".upper()";
    if (kind == "reverse") e.text += "[::-1]";
    if (kind == "first") e.text += "[:" + std::to_string(k) + "]";
    if (kind == "twice") {
      e.text += "*2";
      e.starred = true;
    }
    std::string words = kind == "upper"     ? "in capitals"
                        : kind == "reverse" ? "reversed"
                        : kind == "twice"   ? "twice"
                                            : "cut to " + std::to_string(k) + " letters";
    t.description += (s == 0 ? " " : ", then ") + words;
    t.spec += "|" + kind + (kind == "first" ? ":" + std::to_string(k) : "");
  }
  t.expression = e.text;
  add_tests<std::string>(
      t, o.tests,
      [&] {
        std::string w(static_cast<std::size_t>(rng.uniform(3, 6)), 'a');
        for (auto& c : w) c = static_cast<char>('a' + rng.index(26));
        return w;
      },
      [](const std::string& w) { return repr(w); },
      [ops](const std::string& w) {
        std::string v = w;
        for (const auto& [kind, k] : ops) {
          if (kind == "upper")
            for (auto& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          if (kind == "reverse") std::reverse(v.begin(), v.end());
          if (kind == "twice") v += v;
          if (kind == "first") v = v.substr(0, static_cast<std::size_t>(k));
        }
        return repr(v);
      });
}

}  // namespace

std::string FunctionTask::prompt() const { return "# " + description + "\ndef f(" + args + "):\n    return "; }

std::string FunctionTask::pretraining_line() const {
  return "def f(" + args + "): return " + expression + "  # " + description;
}

FunctionTask make_function_task(Rng& rng, const FunctionTaskOptions& options) {
  static const std::set<std::string> known = {"arith", "map", "filter", "reduce", "string"};
  if (options.families.empty()) throw std::invalid_argument("families is empty: no function task can be made");
  FunctionTask t;
  t.family = rng.pick(options.families);
  if (!known.count(t.family)) throw std::invalid_argument("unknown function-task family '" + t.family + "'");
  if (t.family == "string")
    make_string(t, rng, options);
  else
    make_numeric(t, rng, options);
  return t;
}

}  // namespace remix::tasks::code
