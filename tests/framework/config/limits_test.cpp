// Configs that would exhaust the machine are refused, not obeyed: a YAML alias bomb of a few hundred bytes, a
// generated file of many keys, a file over the size limit, an include graph that fans out without a cycle,
// nesting past the depth limit in a file and in an override's key path, and a grid of more trials than a
// sweep may have. Each runs `remix config` in a child process under a memory limit (ulimit -d: heap and private
// mappings, not the address space a CUDA-enabled LibTorch maps for its libraries) and a time limit, and must exit 2
// quickly, naming the file (and line) and the limit.
#include <gtest/gtest.h>

#include <fstream>

#include "config/limits.h"
#include "support/test_env.h"

namespace remix {
namespace {

const std::string kBase = "router: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n";

// `remix config FILE ARGS...` with 2 GB of data (heap and private mappings) and 30 seconds at most.
test::CommandResult config_under_limits(const std::string& file, const std::vector<std::string>& args = {}) {
  std::string command = "ulimit -d 2000000; exec timeout 30 \"$0\" --plugin-path \"$1\" config \"$2\"";
  std::vector<std::string> argv = {"/bin/sh", "-c", command, test::remix_bin(), test::test_plugin_dir(), file};
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[2] += " \"$" + std::to_string(i + 3) + "\"";
    argv.push_back(args[i]);
  }
  return test::run_command(argv);
}

void expect_refused(const test::CommandResult& r, const std::string& where, const std::string& what) {
  EXPECT_EQ(r.exit_code, 2) << r.err;  // 124 would be the time limit, a signal the memory limit
  EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
}

TEST(ConfigLimits, AYamlAliasBombIsRefusedWithoutExpanding) {
  test::TempDir dir;
  // Nine levels of nine aliases: 9^9 (387 million) values from 400 bytes.
  std::string yaml = kBase + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 1; j < 9; ++j) yaml += ", " + prev;
    yaml += "]\n";
  }
  auto file = dir.write("bomb.yaml", yaml);
  expect_refused(config_under_limits(file), file + ":", "expands to more than 20000 values");
}

TEST(ConfigLimits, ManyKeysAndLargeFilesAreRefused) {
  test::TempDir dir;
  std::string keys = kBase + "sweep:\n  parameters:\n";
  for (int i = 0; i < 30000; ++i) keys += "    k" + std::to_string(i) + ": [1]\n";
  auto many = dir.write("many.yaml", keys);
  expect_refused(config_under_limits(many), many + ":", "expands to more than 20000 values");
  std::string big = kBase + "# " + std::string(2 << 20, 'x') + "\n";
  auto large = dir.write("large.yaml", big);
  expect_refused(config_under_limits(large), large + ": the config file has",
                 "more than the 1048576 a config may have");
}

TEST(ConfigLimits, AnIncludeGraphThatFansOutIsRefused) {
  test::TempDir dir;
  // Each file includes the next one twice: 2^12 loads without a cycle, 12 deep (within the depth limit).
  for (int i = 0; i < 12; ++i) {
    std::string next = "f" + std::to_string(i + 1) + ".yaml";
    dir.write("f" + std::to_string(i) + ".yaml", "include: [" + next + ", " + next + "]\n");
  }
  dir.write("f12.yaml", kBase);
  auto top = dir.file("f0.yaml");
  expect_refused(config_under_limits(top), ".yaml:1:", "the config loads more than 64 files through its includes");
  // A chain deeper than the include depth limit.
  for (int i = 0; i < 20; ++i)
    dir.write("c" + std::to_string(i) + ".yaml", "include: c" + std::to_string(i + 1) + ".yaml\n");
  dir.write("c20.yaml", kBase);
  expect_refused(config_under_limits(dir.file("c0.yaml")), ".yaml:1:", "includes nest deeper than 16 files");
}

TEST(ConfigLimits, NestingPastTheDepthLimitIsRefusedInFilesAndOverrides) {
  test::TempDir dir;
  std::string deep = kBase + "x: " + std::string(100, '[') + std::string(100, ']') + "\n";
  auto file = dir.write("deep.yaml", deep);
  expect_refused(config_under_limits(file), file + ":3:", "nests deeper than 64 levels");
  // yaml-cpp's own parser stops at 2000 levels; remix never recurses that far.
  auto deeper = dir.write("deeper.yaml", kBase + "x: " + std::string(100000, '[') + "\n");
  EXPECT_EQ(config_under_limits(deeper).exit_code, 2);
  std::string path = "a";
  for (int i = 1; i < 20000; ++i) path += ".a";
  auto good = dir.write("good.yaml", kBase);
  expect_refused(config_under_limits(good, {"+" + path + "=1"}), "override '+a.a.a.a",
                 "its key has 20000 parts, more than the 64 levels a config may nest");
  expect_refused(config_under_limits(good, {"+x=" + std::string(100, '[') + std::string(100, ']')}),
                 "override '+x=[[[[", "nests deeper than 64 levels");
}

TEST(ConfigLimits, ASweepOfTooManyTrialsIsRefusedBeforeItIsExpanded) {
  test::TempDir dir;
  std::string grid = kBase + "sweep:\n  parameters:\n";
  for (int axis = 0; axis < 12; ++axis) grid += "    train.a" + std::to_string(axis) + ": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  auto file = dir.write("grid.yaml", grid);
  auto r = test::run_command({"/bin/sh", "-c",
                              "ulimit -d 2000000; exec timeout 30 \"$0\" --plugin-path \"$1\" run \"$2\" --dry-run",
                              test::remix_bin(), test::test_plugin_dir(), file});
  expect_refused(r, file + ": the sweep expands to more than 100000 trials", "split it into several sweeps");
}

}  // namespace
}  // namespace remix
