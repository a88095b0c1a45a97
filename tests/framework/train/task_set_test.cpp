// The validation split a trial holds out of its tasks' training examples (eval.validation): whole split groups
// at a time, never shared with training or with the eval split, for every built-in task (the knowledge task's
// validation entities are asked about nowhere in training), the same examples for every seed of a dataset read
// from files, and too large a split refused naming the key.
#include "train/task_set.h"

#include <gtest/gtest.h>

#include <set>

#include "config/overrides.h"
#include "config/resolved_config.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::train {
namespace {

Example example(const std::string& id, const std::string& group = "") {
  Example e;
  e.id = id;
  e.prompt = "prompt " + id;
  if (!group.empty()) e.metadata["split_group"] = group;
  return e;
}

std::set<std::string> ids(const std::vector<Example>& examples) {
  std::set<std::string> out;
  for (const auto& e : examples) out.insert(e.id);
  return out;
}

TEST(HoldOutValidation, MovesWholeGroupsOutOfTraining) {
  std::vector<Example> train;
  for (int g = 0; g < 10; ++g)
    for (int i = 0; i < 3; ++i)
      train.push_back(example(std::to_string(g) + "." + std::to_string(i), "g" + std::to_string(g)));
  auto validation = hold_out_validation(train, 4, "facts");
  EXPECT_EQ(validation.size(), 6u);  // 4 rounded up to whole groups of 3
  EXPECT_EQ(train.size(), 24u);
  std::set<std::string> held_groups, train_groups;
  for (const auto& e : validation) held_groups.insert(e.metadata.at("split_group"));
  for (const auto& e : train) train_groups.insert(e.metadata.at("split_group"));
  EXPECT_EQ(held_groups.size(), 2u);
  for (const auto& g : held_groups) EXPECT_FALSE(train_groups.count(g)) << g;
}

TEST(HoldOutValidation, DependsOnTheTaskNameOnlyAndKeepsTrainingOrder) {
  std::vector<Example> a, b;
  for (int i = 0; i < 50; ++i) a.push_back(example(std::to_string(i)));
  b = a;
  auto va = hold_out_validation(a, 10, "math"), vb = hold_out_validation(b, 10, "math");
  EXPECT_EQ(ids(va), ids(vb));
  EXPECT_EQ(va.size(), 10u);
  for (std::size_t i = 1; i < a.size(); ++i) EXPECT_LT(std::stoi(a[i - 1].id), std::stoi(a[i].id));
  std::vector<Example> c;
  for (int i = 0; i < 50; ++i) c.push_back(example(std::to_string(i)));
  EXPECT_NE(ids(hold_out_validation(c, 10, "code")), ids(va));  // another task, other examples
  std::vector<Example> d = c;
  EXPECT_TRUE(hold_out_validation(d, 0, "math").empty());
  EXPECT_EQ(d.size(), c.size());
}

TEST(HoldOutValidation, RefusesToHoldOutEveryTrainingExampleNamingTheKey) {
  std::vector<Example> train = {example("a", "x"), example("b", "x"), example("c", "y")};
  try {
    hold_out_validation(train, 3, "facts");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("eval.validation = 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'facts'"), std::string::npos) << e.what();
  }
}

config::ResolvedConfig builtin_tasks(const test::TempDir& dir, const std::vector<std::string>& overrides) {
  auto file = dir.write("exp.yaml", "router: {plugin: remix}\ntasks: {math: {}, code: {}, knowledge: {}}\n");
  return config::resolve(file, config::parse_overrides(overrides).fixed, plugin::schema_lookup({test::plugin_dir()}));
}

TEST(TaskSet, ValidationNeverSharesAnExampleWithTrainingOrEval) {
  test::TempDir dir;
  TaskSet tasks(builtin_tasks(dir, {"eval.validation=20"}));
  ASSERT_EQ(tasks.tasks().size(), 3u);
  for (const auto& t : tasks.tasks()) {
    SCOPED_TRACE(t.name);
    EXPECT_GE(t.validation.size(), 20u);
    std::set<std::string> train_prompts, eval_prompts;
    for (const auto& e : t.train) train_prompts.insert(e.prompt + "\x1f" + e.answer);
    for (const auto& e : t.eval) eval_prompts.insert(e.prompt);
    for (const auto& e : t.validation) {
      EXPECT_FALSE(train_prompts.count(e.prompt + "\x1f" + e.answer)) << e.id;
      EXPECT_FALSE(eval_prompts.count(e.prompt)) << e.id;
    }
    if (t.name != "knowledge") continue;
    // Several wordings of one entity's facts: none of a validation entity's is left in training.
    std::set<std::string> train_entities, validation_entities;
    for (const auto& e : t.train) train_entities.insert(e.metadata.at("entity"));
    for (const auto& e : t.validation) validation_entities.insert(e.metadata.at("entity"));
    for (const auto& entity : validation_entities) EXPECT_FALSE(train_entities.count(entity)) << entity;
  }
  TaskSet without(builtin_tasks(dir, {}));
  for (std::size_t i = 0; i < without.tasks().size(); ++i) {
    EXPECT_TRUE(without.tasks()[i].validation.empty());
    EXPECT_EQ(without.tasks()[i].train.size(), tasks.tasks()[i].train.size() + tasks.tasks()[i].validation.size());
  }
}

}  // namespace
}  // namespace remix::train
