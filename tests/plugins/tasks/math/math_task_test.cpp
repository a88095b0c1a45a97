// The math task plugin, loaded through the real loader: the built-in word problems (deterministic, disjoint
// splits, answers checked by recomputing them, lengths within the built-in model's context, difficulty knobs),
// exact-match scoring of the final number, GSM8K's real files, and every kind of bad GSM8K input.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "plugins/tasks/task_fixture.h"
#include "support/test_env.h"

namespace remix {
namespace {

using nlohmann::json;
using test::start_task;

// Each "a<op>b=c" of a worked answer or story, checked to be true arithmetic and to chain (a = previous c).
// Returns the structure key "a<op>b<op>b..." of the chain.
std::string checked_chain(const std::string& text) {
  static const std::regex step(R"((\d+)([-+*])(\d+)=(\d+))");
  std::string key;
  long long previous = -1;
  for (std::sregex_iterator it(text.begin(), text.end(), step), end; it != end; ++it) {
    long long a = std::stoll((*it)[1]), b = std::stoll((*it)[3]), c = std::stoll((*it)[4]);
    char op = (*it)[2].str()[0];
    EXPECT_EQ(op == '+' ? a + b : op == '-' ? a - b : a * b, c) << text;
    if (previous >= 0) EXPECT_EQ(a, previous) << "steps do not chain: " << text;
    key += (key.empty() ? std::to_string(a) : "") + op + std::to_string(b);
    previous = c;
  }
  return key;
}

TEST(MathTask, BuiltinIsDeterministicUnderTheSeed) {
  auto a = test::all_examples(*start_task("math").task), b = test::all_examples(*start_task("math").task);
  auto other = test::all_examples(*start_task("math", {{"data_seed", 1}}).task);
  ASSERT_EQ(a.size(), 2200u);
  ASSERT_EQ(a.size(), b.size());
  int same_as_other = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].prompt, b[i].prompt);
    EXPECT_EQ(a[i].answer, b[i].answer);
    same_as_other += a[i].prompt == other[i].prompt;
  }
  EXPECT_LT(same_as_other, 50);
  EXPECT_EQ(start_task("math").task->pretraining_text(), start_task("math").task->pretraining_text());
  // data_seed -1 follows the trial seed.
  auto trial3 = start_task("math", {{"data_seed", -1}}, 3).task->examples(Split::Eval);
  auto seed3 = start_task("math", {{"data_seed", 3}}).task->examples(Split::Eval);
  EXPECT_EQ(trial3[0].prompt, seed3[0].prompt);
}

TEST(MathTask, BuiltinAnswersAreRightAndSplitsDisjoint) {
  auto started = start_task("math");
  auto& task = *started.task;
  std::map<Split, std::set<std::string>> keys;
  for (Split split : {Split::Train, Split::Eval}) {
    for (const auto& e : task.examples(split)) {
      // Recompute the result from the structure the generator reports, independently of its own arithmetic.
      long long value = std::stoll(e.metadata.at("start"));
      std::string key = e.metadata.at("start");
      std::istringstream steps(e.metadata.at("steps"));
      for (std::string step; steps >> step;) {
        long long n = std::stoll(step.substr(1));
        value = step[0] == '+' ? value + n : step[0] == '-' ? value - n : value * n;
        EXPECT_NE(e.prompt.find(step[0] == '*' && n <= 3 ? (n == 2 ? "doubled" : "tripled") : std::to_string(n)),
                  std::string::npos)
            << e.prompt;
        key += step;
      }
      EXPECT_GE(value, 0);
      EXPECT_EQ(e.metadata.at("gold"), std::to_string(value));
      EXPECT_EQ(e.answer.substr(e.answer.rfind("####")), "#### " + std::to_string(value) + "\n");
      EXPECT_EQ(checked_chain(e.answer), key);
      EXPECT_TRUE(e.prompt.rfind("Q: ", 0) == 0 && e.prompt.size() > 4 &&
                  e.prompt.compare(e.prompt.size() - 4, 4, "\nA: ") == 0)
          << e.prompt;
      EXPECT_TRUE(keys[split].insert(key).second) << "duplicate problem " << key;
    }
  }
  for (const auto& k : keys[Split::Eval]) EXPECT_FALSE(keys[Split::Train].count(k)) << "eval problem in train: " << k;
  // The pretraining stories: true arithmetic, none about a train or eval problem, each within the context.
  std::istringstream lines(task.pretraining_text());
  int stories = 0;
  for (std::string line; std::getline(lines, line); ++stories) {
    std::string key = checked_chain(line);
    EXPECT_FALSE(keys[Split::Eval].count(key) || keys[Split::Train].count(key)) << line;
    EXPECT_LE(line.size(), 95u) << line;
    EXPECT_EQ(line.find("Q:"), std::string::npos);
  }
  EXPECT_EQ(stories, 3000);
  auto examples = test::all_examples(task);
  EXPECT_EQ(test::mean(task.score(examples, test::gold_predictions(examples))), 1.0);
}

TEST(MathTask, BuiltinExamplesFitTheContextAndFewShotIsRefusedWhenTheyWouldNot) {
  auto started = start_task("math");
  std::size_t longest = 0;
  for (const auto& e : test::all_examples(*started.task))
    longest = std::max(longest, e.prompt.size() + e.answer.size());
  EXPECT_LE(longest, 96u);
  RecordProperty("longest_example_bytes", static_cast<int>(longest));
  EXPECT_EQ(started.task->stats().at("longest_example_bytes"), static_cast<double>(longest));

  std::string error = test::start_error("math", {{"few_shot", 1}});
  EXPECT_NE(error.find("over max_example_bytes 96"), std::string::npos) << error;
  auto shot = start_task("math", {{"few_shot", 1}, {"max_example_bytes", 0}}).task->examples(Split::Eval)[0];
  EXPECT_EQ(std::count(shot.prompt.begin(), shot.prompt.end(), '#'), 4) << shot.prompt;  // one solved problem
  EXPECT_FALSE(shot.metadata.at("few_shot_ids").empty());
}

TEST(MathTask, DifficultyKnobsShapeTheProblems) {
  auto easy = start_task("math", {{"steps", 1},
                                  {"operations", {"add"}},
                                  {"max_number", 5},
                                  {"n_train", 10},
                                  {"n_eval", 10},
                                  {"pretrain_problems", 0}});
  for (const auto& e : test::all_examples(*easy.task)) {
    EXPECT_EQ(e.metadata.at("steps").size(), 2u) << e.metadata.at("steps");  // "+n", n <= 5
    EXPECT_EQ(e.metadata.at("steps")[0], '+');
    EXPECT_LE(std::stoi(e.metadata.at("start")), 5);
  }
  EXPECT_EQ(easy.task->examples(Split::Train).size(), 10u);
  EXPECT_TRUE(easy.task->pretraining_text().empty());
  std::string error = test::start_error("math", {{"steps", 1}, {"operations", {"add"}}, {"max_number", 2}});
  EXPECT_NE(error.find("distinct"), std::string::npos) << error;  // 2 x 2 problems cannot make 2200
}

std::vector<double> score_texts(Task& task, const Example& e, const std::vector<std::string>& texts) {
  std::vector<Example> examples(texts.size(), e);
  std::vector<Prediction> predictions;
  for (const auto& t : texts) predictions.push_back({t, {}});
  return task.score(examples, predictions);
}

TEST(MathTask, FinalNumberExactMatch) {
  test::TempDir dir;
  std::string data = dir.write("g.jsonl",
                               "{\"question\": \"q1\", \"answer\": \"5-8 = <<5-8=-3>>-3\\n#### -3\"}\n"
                               "{\"question\": \"q2\", \"answer\": \"so 1,000\\n#### 1,000\"}\n"
                               "{\"question\": \"q3\", \"answer\": \"#### 14\"}\n");
  auto task = start_task("math", {{"source", "gsm8k"}, {"train_file", data}, {"eval_file", data}}).task;
  auto eval = task->examples(Split::Eval);
  ASSERT_EQ(eval.size(), 3u);
  EXPECT_EQ(eval[0].answer, "5-8 = -3\n#### -3\n\n");  // calculator annotations removed
  EXPECT_EQ(score_texts(*task, eval[0], {"#### -3", "-3.0", "#### -3.00", "#### 3", "8-3", "x -3 y", "#### - 3", ""}),
            (std::vector<double>{1, 1, 1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(score_texts(*task, eval[1], {"#### 1000", "#### 1,000", "1,000.0", "#### 1,000.5", "#### 100"}),
            (std::vector<double>{1, 1, 1, 0, 0}));
  // "####" decides even when more numbers follow; without it the last number does; text after a stop string
  // (a blank line here) is not read.
  EXPECT_EQ(score_texts(*task, eval[2],
                        {"#### 14 then 15", "13 or 14", "14 or 13", "#### 014", "14\n\n#### 15", "#### $14", "14.5"}),
            (std::vector<double>{1, 1, 0, 1, 1, 1, 0}));
}

TEST(MathTask, Gsm8kGoldOfEveryRealRecord) {
  REMIX_REQUIRE_SHARED(shared);
  std::string dir = shared + "/datasets/gsm8k/";
  auto task = start_task("math", {{"source", "gsm8k"},
                                  {"train_file", dir + "train.jsonl"},
                                  {"eval_file", dir + "test.jsonl"},
                                  {"max_example_bytes", 0}})
                  .task;
  for (auto [split, file, count] : {std::tuple{Split::Train, "train.jsonl", 7473}, {Split::Eval, "test.jsonl", 1319}}) {
    auto examples = task->examples(split);
    ASSERT_EQ(examples.size(), static_cast<std::size_t>(count)) << file;
    std::ifstream in(dir + file);
    std::size_t i = 0;
    for (std::string line; std::getline(in, line); ++i) {
      // Independently: the text after the last "####" of the raw line, commas dropped.
      std::string raw = line.substr(line.rfind("####") + 4);
      raw = raw.substr(0, raw.find('"'));
      std::string expected;
      for (char c : raw)
        if (c != ',' && c != ' ') expected += c;
      ASSERT_LT(i, examples.size());
      EXPECT_FALSE(examples[i].metadata.at("gold").empty());
      std::string gold;
      for (char c : examples[i].metadata.at("gold"))
        if (c != ',') gold += c;
      EXPECT_EQ(gold, expected) << file << ":" << i + 1;
      EXPECT_EQ(examples[i].answer.find("<<"), std::string::npos);
    }
    EXPECT_EQ(test::mean(task->score(examples, test::gold_predictions(examples))), 1.0) << file;
  }
  EXPECT_EQ(task->stats().at("skipped_records"), 0);
  EXPECT_TRUE(task->pretraining_text().empty());
}

TEST(MathTask, BadGsm8kInput) {
  test::TempDir dir;
  std::string good = dir.write("good.jsonl", "{\"question\": \"q\", \"answer\": \"#### 1\"}\n");
  std::string broken = dir.write("broken.jsonl",
                                 "{\"question\": \"q\", \"answer\": \"#### 1\"}\n"
                                 "\n"
                                 "{\"question\": \"q\", \"answer\": \"#### 2\"\n"  // line 3: not valid JSON
                                 "{\"question\": \"q\"}\n"                         // line 4: no answer
                                 "{\"question\": \"q\", \"answer\": \"no final number\"}\n"
                                 "{\"question\": \"q\", \"answer\": \"#### 6\"}\n");
  auto gsm8k = [&](const std::string& train, json more = json::object()) {
    json p = {{"source", "gsm8k"}, {"train_file", train}, {"eval_file", good}};
    p.update(more);
    return p;
  };
  bool user_error = false;
  std::string error = test::start_error("math", gsm8k(dir.file("absent.jsonl")), &user_error);
  EXPECT_TRUE(user_error);
  EXPECT_NE(error.find("data file not found: " + dir.file("absent.jsonl")), std::string::npos) << error;
  error = test::start_error("math", gsm8k(broken));
  EXPECT_NE(error.find(broken + ":3: not valid JSON"), std::string::npos) << error;
  error = test::start_error("math", {{"source", "gsm8k"}, {"eval_file", good}});
  EXPECT_NE(error.find("tasks.math.train_file is required when source is gsm8k"), std::string::npos) << error;
  EXPECT_NE(error.find("github.com/openai/grade-school-math"), std::string::npos) << error;

  std::string missing_field = dir.write("missing.jsonl", "{\"question\": \"q\"}\n");
  error = test::start_error("math", gsm8k(missing_field));
  EXPECT_NE(error.find(missing_field + ":1: record has no field 'answer'"), std::string::npos) << error;
  std::string no_marker = dir.write("nomarker.jsonl", "{\"question\": \"q\", \"answer\": \"42\"}\n");
  error = test::start_error("math", gsm8k(no_marker));
  EXPECT_NE(error.find(no_marker + ":1: field 'answer' does not end with '#### <number>'"), std::string::npos) << error;

  auto skipping = start_task("math", gsm8k(broken, {{"skip_bad_records", true}}));
  EXPECT_EQ(skipping.task->examples(Split::Train).size(), 2u);
  EXPECT_EQ(skipping.task->stats().at("skipped_records"), 3);
  ASSERT_EQ(skipping.warnings.size(), 1u);
  EXPECT_NE(skipping.warnings[0].find("skipped 3 bad records of " + broken), std::string::npos) << skipping.warnings[0];
}

}  // namespace
}  // namespace remix
