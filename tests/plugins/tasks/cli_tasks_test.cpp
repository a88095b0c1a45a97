// The task plugins through the `remix` binary: `remix plugins` lists math, code and knowledge with their
// parameters; `remix data` loads all three built-in tasks as a trial does and shows what they report (sandbox,
// sources, skipped records); and bad task input (a missing data file, a bad record, python3 not installed)
// exits with code 2 and a message saying what and where, from `remix data` and from `remix run` alike.
#include <gtest/gtest.h>

#include <regex>

#include "support/test_env.h"

namespace remix {
namespace {

using test::run_command;

std::string config(const test::TempDir& dir, const std::string& tasks) {
  return dir.write("exp.yaml", "experiment: {name: tasks, db: " + dir.file("results.db") +
                                   "}\nrouter: {plugin: test_router}\ntasks:\n" + tasks);
}

test::CommandResult remix(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), {test::remix_bin(), "--plugin-path", test::test_plugin_dir()});
  return run_command(args, env);
}

TEST(CliTasks, PluginsListsTheThreeTasksWithTheirParameters) {
  auto r = remix({"plugins"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"math", "code", "knowledge"})
    EXPECT_NE(r.out.find(test::plugin_dir() + "/task_" + name + ".so"), std::string::npos) << name << r.out;
  for (const auto& [name, param] : std::vector<std::pair<std::string, std::string>>{
           {"math", "max_number"}, {"code", "sandbox"}, {"code", "memory_limit_mb"}, {"knowledge", "answer_by"}}) {
    auto d = remix({"plugins", "--describe", name});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_NE(d.out.find(param), std::string::npos) << d.out;
    EXPECT_NE(d.out.find("skip_bad_records"), std::string::npos) << d.out;
  }
}

TEST(CliTasks, DataLoadsTheBuiltinTasksAndShowsWhatTheyReport) {
  test::TempDir dir;
  auto r =
      remix({"data", config(dir, "  math: {plugin: math}\n  code: {plugin: code}\n  facts: {plugin: knowledge}\n")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2000 train / 200 eval examples"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("210 train / 90 eval examples"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("eval by choice log-likelihood, metric accuracy"), std::string::npos) << r.out;
  for (const char* tag : {"tag sandbox = ", "tag python = ", "tag source = builtin", "stat skipped_records = 0"})
    EXPECT_NE(r.out.find(tag), std::string::npos) << tag << "\n" << r.out;
  EXPECT_NE(r.out.find(test::source_dir() + "/datasets/facts/entities.tsv"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("train tokens per example: min "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("prompt: \"Q: "), std::string::npos) << r.out;
  // Each built-in task contributes pretraining text; the shares are of one corpus, so they add up to 100%.
  std::regex share(R"(pretraining text: (\d+) tokens \((\d+)% of the base's corpus\))");
  int tasks = 0, percent = 0;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), share), end; it != end; ++it, ++tasks) {
    EXPECT_GT(std::stoll((*it)[1]), 1000) << it->str();
    percent += std::stoi((*it)[2]);
  }
  EXPECT_EQ(tasks, 3) << r.out;
  EXPECT_NEAR(percent, 100, 1) << r.out;
}

TEST(CliTasks, BadTaskInputExitsTwo) {
  test::TempDir dir;
  std::string bad = dir.write("bad.jsonl", "{\"question\": \"q\", \"answer\": \"#### 1\"}\n{\"question\": \"q\"}\n");
  auto missing = remix({"run", config(dir, "  m: {plugin: math, source: gsm8k, train_file: " + dir.file("no.jsonl") +
                                               ", eval_file: " + bad + "}\n")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("data file not found: " + dir.file("no.jsonl")), std::string::npos) << missing.err;

  auto record =
      remix({"run", config(dir, "  m: {plugin: math, source: gsm8k, max_example_bytes: 0, train_file: " + bad +
                                    ", eval_file: " + bad + "}\n")});
  EXPECT_EQ(record.exit_code, 2);
  EXPECT_NE(record.err.find(bad + ":2: record has no field 'answer'"), std::string::npos) << record.err;

  auto skipped =
      remix({"data", config(dir, "  m: {plugin: math, source: gsm8k, max_example_bytes: 0, train_file: " + bad +
                                    ", eval_file: " + bad + ", skip_bad_records: true}\n")});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_NE(skipped.err.find("warning: task m: skipped 1 bad record of " + bad), std::string::npos) << skipped.err;
  EXPECT_NE(skipped.out.find("stat skipped_records = 2"), std::string::npos) << skipped.out;  // train and eval

  // python3 not installed: nothing called python3 on PATH.
  test::TempDir empty;
  auto no_python = remix({"run", config(dir, "  c: {plugin: code}\n")}, {{"PATH", empty.path().string()}});
  EXPECT_EQ(no_python.exit_code, 2);
  EXPECT_NE(no_python.err.find("python3 is not installed: it is not on PATH (" + empty.path().string() + ")"),
            std::string::npos)
      << no_python.err;
  EXPECT_NE(no_python.err.find("apt-get install python3"), std::string::npos) << no_python.err;
}

}  // namespace
}  // namespace remix
