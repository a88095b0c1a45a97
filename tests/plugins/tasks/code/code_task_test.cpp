// The code task plugin, loaded through the real loader: the built-in function tasks (deterministic, disjoint
// splits, within the context, every problem's tests passed by its answer and by an independently written
// Python reference and failed by a wrong answer), pass@1 through the sandbox including early exits, every
// HumanEval canonical solution and every MBPP test-split reference solution (and a wrong solution for each),
// and bad input.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "plugins/tasks/task_fixture.h"
#include "support/test_env.h"
#include "tasks/code/python.h"

namespace remix {
namespace {

using nlohmann::json;
using test::start_task;

// Python, written here apart from the generator: builds a reference f from a problem's spec, and runs every
// problem's asserts against it, against the generator's answer and against the wrong answer "None".
constexpr const char* kReferenceCheck = R"PY(
import json, operator, sys

def reference(spec):
    head, *ops = spec.split('|')
    kind = head.split(':')
    def numbers(v):
        for op in ops:
            name, c = op.split(':')
            v = {'add': operator.add, 'sub': operator.sub, 'mul': operator.mul}[name](v, int(c))
        return v
    def letters(s):
        for op in ops:
            name, _, k = op.partition(':')
            s = {'upper': lambda t: t.upper(), 'reverse': lambda t: ''.join(reversed(t)), 'twice': lambda t: t + t,
                 'first': lambda t: t[:int(k or 0)]}[name](s)
        return s
    if kind[0] == 'arith':
        combine = {'add': operator.add, 'sub': operator.sub, 'mul': operator.mul}[kind[1]]
        return lambda a, b: numbers(combine(a, b))
    if kind[0] == 'map':
        return lambda xs: [numbers(x) for x in xs]
    if kind[0] == 'filter':
        keep = (lambda x: x > int(kind[2])) if kind[1] == 'gt' else (lambda x: x < int(kind[2]))
        return lambda xs: [numbers(x) for x in xs if keep(x)]
    if kind[0] == 'reduce':
        return lambda xs: numbers({'sum': sum, 'max': max, 'min': min, 'len': len}[kind[1]](xs))
    return letters

def passes(source, f=None):
    scope = {} if f is None else {'f': f}
    try:
        exec(source, scope)
        return True
    except Exception:
        return False

failures = []
for p in json.load(open(sys.argv[1])):
    if not passes(p['tests'], reference(p['spec'])): failures.append(('reference', p['id']))
    if not passes(p['prompt'] + p['answer'] + p['tests']): failures.append(('answer', p['id']))
    if passes(p['prompt'] + 'None\n' + p['tests']): failures.append(('None passes', p['id']))
print(json.dumps(failures))
)PY";

std::string python3() { return tasks::code::find_on_path("python3").at(0); }

TEST(CodeTask, BuiltinProblemsAreRightByAnIndependentReference) {
  auto started = start_task("code");
  auto& task = *started.task;
  auto again = test::all_examples(*start_task("code", {{"workers", 1}}).task);
  auto examples = test::all_examples(task);
  ASSERT_EQ(examples.size(), 900u);
  std::map<Split, std::set<std::string>> specs;
  json problems = json::array();
  std::size_t longest = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const auto& e = examples[i];
    EXPECT_EQ(e.prompt + e.answer, again[i].prompt + again[i].answer);  // deterministic
    Split split = i < 800 ? Split::Train : Split::Eval;
    EXPECT_TRUE(specs[split].insert(e.metadata.at("spec")).second) << e.metadata.at("spec");
    longest = std::max(longest, e.prompt.size() + e.answer.size());
    problems.push_back({{"id", e.id},
                        {"spec", e.metadata.at("spec")},
                        {"prompt", e.prompt},
                        {"answer", e.answer},
                        {"tests", e.metadata.at("tests")}});
    // The description names the operations of the spec, in order.
    std::size_t at = 0;
    static const std::regex op(R"(\|(add|sub|mul):(\d+))");
    for (std::sregex_iterator it(e.metadata.at("spec").begin(), e.metadata.at("spec").end(), op), end; it != end;
         ++it) {
      std::string words = std::string((*it)[1] == "add"   ? "plus "
                                      : (*it)[1] == "sub" ? "minus "
                                                          : "times ") +
                          (*it)[2].str();
      at = e.prompt.find(words, at);
      EXPECT_NE(at, std::string::npos) << words << " in " << e.prompt;
    }
  }
  for (const auto& s : specs[Split::Eval]) EXPECT_FALSE(specs[Split::Train].count(s)) << "eval problem in train: " << s;
  EXPECT_LE(longest, 96u);
  RecordProperty("longest_example_bytes", static_cast<int>(longest));
  std::string pretraining = task.pretraining_text();
  for (const auto& e : task.examples(Split::Eval))
    EXPECT_EQ(pretraining.find("return " + e.answer.substr(0, e.answer.size() - 1) + "  #"), std::string::npos)
        << e.answer;
  std::istringstream lines(pretraining);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 96u) << line;

  test::TempDir dir;
  auto r = test::run_command({python3(), "-c", kReferenceCheck, dir.write("problems.json", problems.dump())});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::array()) << r.out;
}

TEST(CodeTask, BuiltinScoredThroughTheSandbox) {
  auto task = start_task("code", {{"n_train", 20}, {"n_eval", 60}, {"workers", 4}}).task;
  EXPECT_EQ(task->metric_name(), "pass@1");
  EXPECT_EQ(task->generation().stop, std::vector<std::string>{"\n"});
  auto eval = task->examples(Split::Eval);
  EXPECT_EQ(test::mean(task->score(eval, test::gold_predictions(eval))), 1.0);
  // Text after the stop string is not run; a wrong or broken answer fails.
  std::vector<Prediction> wrong;
  for (const auto& e : eval) wrong.push_back({"None\n" + e.answer, {}});
  EXPECT_EQ(test::mean(task->score(eval, wrong)), 0.0);
  auto stats = task->stats();
  EXPECT_EQ(stats.at("samples_passed"), 60);
  EXPECT_EQ(stats.at("samples_failed"), 60);
  EXPECT_EQ(task->tags().at("source"), "builtin");
  EXPECT_FALSE(task->tags().at("python").empty());
  EXPECT_TRUE(task->tags().at("sandbox") == "bubblewrap" || task->tags().at("sandbox") == "rlimits");
}

TEST(CodeTask, BuiltinKnobs) {
  auto task = start_task("code", {{"families", {"string"}},
                                  {"steps", 1},
                                  {"tests_per_problem", 5},
                                  {"n_train", 3},
                                  {"n_eval", 3},
                                  {"pretrain_functions", 0}})
                  .task;
  for (const auto& e : test::all_examples(*task)) {
    EXPECT_EQ(e.metadata.at("spec").rfind("string|", 0), 0u);
    EXPECT_EQ(std::count(e.metadata.at("spec").begin(), e.metadata.at("spec").end(), '|'), 1);
    EXPECT_EQ(std::count(e.metadata.at("tests").begin(), e.metadata.at("tests").end(), '\n'), 5);
  }
  EXPECT_TRUE(task->pretraining_text().empty());
  std::string error = test::start_error("code", {{"families", {"arith"}}, {"steps", 1}});
  EXPECT_NE(error.find("distinct"), std::string::npos) << error;  // 3 arith problems cannot make 900
}

TEST(CodeTask, EarlyExitsFailThroughThePlugin) {
  test::TempDir dir;
  std::string data = dir.write("he.jsonl", json({{"task_id", "t/0"},
                                                 {"prompt", "def add(a, b):\n"},
                                                 {"canonical_solution", "    return a + b\n"},
                                                 {"test", "def check(candidate):\n    assert candidate(1, 2) == 3\n"},
                                                 {"entry_point", "add"}})
                                               .dump());
  auto task = start_task("code", {{"source", "humaneval"}, {"data_file", data}, {"max_example_bytes", 0}}).task;
  auto e = task->examples(Split::Eval).at(0);
  std::vector<Example> five(5, e);
  EXPECT_EQ(task->score(five, {{"    return a + b\n", {}},
                               {"    import os\n    os._exit(0)\n", {}},
                               {"    return a + b\nimport sys\nsys.exit(0)\n", {}},
                               {"    return a - b\n", {}},
                               {"    return a + b\ndef check(candidate):\n    pass\n", {}}}),
            (std::vector<double>{1, 0, 0, 0, 1}));  // the last redefines check but is cut at "\ndef "
  EXPECT_EQ(task->stats().at("samples_exited_early"), 2);
  EXPECT_TRUE(task->examples(Split::Train).empty());  // HumanEval is eval-only
}

// Every reference solution through score(): all must pass, and a wrong solution of each must fail.
void check_benchmark(const std::string& source, const std::string& file, std::size_t eval_count,
                     const std::function<std::string(const Example&)>& wrong_solution) {
  // A generous wall clock: a few reference solutions take seconds of CPU (MBPP 123 about 2.5), and the test
  // suite may share the machine's cores with other tests.
  auto task = start_task("code", {{"source", source},
                                  {"data_file", file},
                                  {"max_example_bytes", 0},
                                  {"workers", 4},
                                  {"time_limit_s", 60},
                                  {"cpu_time_limit_s", 20}})
                  .task;
  auto eval = task->examples(Split::Eval);
  ASSERT_EQ(eval.size(), eval_count);
  auto gold = task->score(eval, test::gold_predictions(eval));
  std::vector<Prediction> wrong;
  for (const auto& e : eval) wrong.push_back({wrong_solution(e), {}});
  auto wrong_scores = task->score(eval, wrong);
  for (std::size_t i = 0; i < eval.size(); ++i) {
    EXPECT_EQ(gold[i], 1.0) << eval[i].id << " reference solution fails";
    EXPECT_EQ(wrong_scores[i], 0.0) << eval[i].id << " wrong solution passes";
  }
}

TEST(CodeTask, EveryHumanEvalCanonicalSolutionPasses) {
  REMIX_REQUIRE_SHARED(shared);
  check_benchmark("humaneval", shared + "/datasets/humaneval/HumanEval.jsonl", 164,
                  [](const Example&) { return "    return None\n"; });
}

TEST(CodeTask, EveryMbppTestSplitReferenceSolutionPasses) {
  REMIX_REQUIRE_SHARED(shared);
  std::string file = shared + "/datasets/mbpp/mbpp.jsonl";
  // The wrong solution keeps every top-level function's name and returns None from it.
  check_benchmark("mbpp", file, 500, [](const Example& e) {
    static const std::regex def(R"(^def (\w+)\()", std::regex::multiline);
    std::string wrong;
    for (std::sregex_iterator it(e.answer.begin(), e.answer.end(), def), end; it != end; ++it)
      wrong += "def " + (*it)[1].str() + "(*args, **kwargs):\n    return None\n";
    return wrong;
  });
  auto task =
      start_task("code", {{"source", "mbpp"}, {"data_file", file}, {"max_example_bytes", 0}, {"few_shot", 1}}).task;
  EXPECT_EQ(task->examples(Split::Train).size(), 374u);  // 601-974
  auto shot = task->examples(Split::Eval).at(0).metadata.at("few_shot_ids");
  int shot_id = std::stoi(shot.substr(shot.find('/') + 1));
  EXPECT_TRUE(shot_id >= 1 && shot_id <= 10) << shot;  // shots come from the prompt split
}

TEST(CodeTask, BadInput) {
  bool user_error = false;
  std::string error = test::start_error("code", {{"python", "/nonexistent/python3"}}, &user_error);
  EXPECT_TRUE(user_error);
  EXPECT_NE(error.find("python interpreter /nonexistent/python3 does not exist"), std::string::npos) << error;
  error = test::start_error("code", {{"source", "mbpp"}});
  EXPECT_NE(error.find("tasks.code.data_file is required when source is mbpp"), std::string::npos) << error;
  test::TempDir dir;
  std::string data = dir.write("mbpp.jsonl",
                               "{\"task_id\": 11, \"text\": \"t\", \"code\": \"x = 1\", "
                               "\"test_list\": [\"assert x == 1\"], \"test_setup_code\": \"\"}\n"
                               "{\"task_id\": 12, \"text\": \"t\", \"code\": \"x = 1\"}\n");
  error = test::start_error("code", {{"source", "mbpp"}, {"data_file", data}});
  EXPECT_NE(error.find(data + ":2: record has no field 'test_list'"), std::string::npos) << error;
  auto skipping = start_task(
      "code", {{"source", "mbpp"}, {"data_file", data}, {"skip_bad_records", true}, {"max_example_bytes", 0}});
  EXPECT_EQ(skipping.task->examples(Split::Eval).size(), 1u);
  EXPECT_EQ(skipping.task->stats().at("skipped_records"), 1);
}

// A trial killed with SIGKILL cannot remove its samples' folder (rlimits keeps one per executor under the
// temp dir); the next code task on the machine does, and the resumed trial leaves none behind.
TEST(CodeTask, AKilledTrialsSampleFolderIsGoneOnceTheTrialResumes) {
  test::TempDir dir, temp;
  test::ScopedEnv tmpdir("TMPDIR", temp.path().string());  // its own temp dir: only its trial's folders there
  auto folders = [&] {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(temp.path()))
      if (e.path().filename().string().rfind("remix-code-", 0) == 0) out.push_back(e.path().string());
    return out;
  };
  std::string config = dir.write(
      "exp.yaml", "experiment: {name: killed, db: " + dir.file("r.db") + ", output_dir: " + dir.file("runs") + "}\n" +
                      "router: {plugin: softmax}\ntasks: {code: {sandbox: rlimits, n_train: 16, n_eval: 2}}\n"
                      "base: {cache_dir: " + dir.file("base_cache") + ", pretrain: {steps: 3, batch_size: 4}}\n"
                      "model: {dim: 16, n_layers: 1, n_heads: 2, n_kv_heads: 2, ffn_dim: 32}\n"
                      "adapter: {r: 2, num_experts: 2, top_k: 1}\n"
                      "train: {steps: 400, batch_size: 4, log_every: 1, eval_every: 0, checkpoint_every: 20}\n"
                      "eval: {max_examples: 2, max_new_tokens: 4}\n");
  {
    test::ChildProcess run({test::remix_bin(), "run", config}, /*merge_stderr=*/true, /*own_group=*/true);
    while (auto line = run.read_line())
      if (line->find("train step 30/") != std::string::npos) {
        run.kill_group(SIGKILL);
        break;
      }
    while (run.read_line()) {
    }
    EXPECT_EQ(run.wait(), -SIGKILL);
  }
  ASSERT_EQ(folders().size(), 1u) << "the killed trial's sample folder should be there to clean up";
  auto r = test::run_command({test::remix_bin(), "run", config});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from"), std::string::npos) << r.err;
  EXPECT_TRUE(folders().empty()) << folders().front();
}

}  // namespace
}  // namespace remix
