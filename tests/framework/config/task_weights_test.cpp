// Task weightings: the simplex grid has C(n + d − 1, n − 1) points with the vertices among them, weights are
// normalised, and negative, all-zero, unknown-task and malformed weightings are refused naming the bad part.
#include <gtest/gtest.h>

#include "config/task_weights.h"
#include "remix/errors.h"

namespace remix::config {
namespace {

const std::vector<std::string> kTasks = {"math", "code", "knowledge"};

std::string error_of(const std::string& text) {
  try {
    parse_weightings(text, kTasks, "--weights");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(TaskWeights, SimplexGridCountsAndVertices) {
  EXPECT_EQ(simplex_grid(kTasks, 1, "w").size(), 3u);   // the vertices
  EXPECT_EQ(simplex_grid(kTasks, 2, "w").size(), 6u);   // C(4, 2)
  EXPECT_EQ(simplex_grid(kTasks, 4, "w").size(), 15u);  // C(6, 2)
  EXPECT_EQ(simplex_grid({"a", "b"}, 5, "w").size(), 6u);
  auto grid = simplex_grid(kTasks, 3, "w");
  ASSERT_EQ(grid.size(), 10u);
  int vertices = 0;
  for (const auto& w : grid) {
    double sum = 0;
    for (const auto& [task, weight] : w.weights) sum += weight;
    EXPECT_NEAR(sum, 1.0, 1e-12) << w.name();
    if (!task_alone(w).empty()) ++vertices;
  }
  EXPECT_EQ(vertices, 3);
  EXPECT_EQ(grid.front().name(), "code=0,knowledge=0,math=1");  // the first task's share largest first
}

TEST(TaskWeights, ParsedWeightingsAreNormalisedAndMissingTasksWeighZero) {
  auto ws = parse_weightings("math=2,code=2; knowledge=0.1", kTasks, "--weights");
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].name(), "code=0.5,knowledge=0,math=0.5");
  EXPECT_EQ(task_alone(ws[1]), "knowledge");
  EXPECT_EQ(parse_weightings("2", kTasks, "--weights").size(), 6u);
  EXPECT_EQ(parse_weightings("math=1,code=1,knowledge=1", kTasks, "w")[0].name(),
            "code=0.333333,knowledge=0.333333,math=0.333333");
}

TEST(TaskWeights, BadWeightingsAreRefusedNamingWhatIsWrong) {
  EXPECT_NE(error_of("math=-1,code=2").find("the weight of task 'math' is -1"), std::string::npos);
  EXPECT_NE(error_of("math=0,code=0").find("every weight is zero"), std::string::npos);
  auto unknown = error_of("maths=1");
  EXPECT_NE(unknown.find("no task 'maths'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("math, code, knowledge"), std::string::npos) << unknown;
  EXPECT_NE(error_of("math=abc").find("expected task=weight, got 'math=abc'"), std::string::npos);
  EXPECT_NE(error_of("math=1,math=2").find("weighted twice"), std::string::npos);
  EXPECT_NE(error_of("0").find("divisions must be at least 1"), std::string::npos);
  EXPECT_NE(error_of(" ; ").find("no weighting given"), std::string::npos);
  EXPECT_NE(error_of("math=inf").find("finite"), std::string::npos);
  EXPECT_THROW(simplex_grid({"a", "a"}, 2, "w"), ConfigError);
}

TEST(TaskWeights, GroupsIgnoreWeightsAndExperiment) {
  auto a = nlohmann::json::parse(R"({"experiment":{"name":"x"},"tasks":{"math":{"weight":1,"n":3},"code":{"weight":0}},"train":{"lr":1}})");
  auto b = nlohmann::json::parse(R"({"experiment":{"name":"y"},"tasks":{"math":{"weight":0,"n":3},"code":{"weight":2}},"train":{"lr":1}})");
  EXPECT_EQ(without_task_weights(a), without_task_weights(b));
  EXPECT_EQ(task_alone(weighting_of(a, "run 1")), "math");
  EXPECT_EQ(weighting_of(b, "run 2").name(), "code=1,math=0");
  b["train"]["lr"] = 2;
  EXPECT_NE(without_task_weights(a), without_task_weights(b));
  auto none = nlohmann::json::parse(R"({"tasks":{"math":{"weight":0}}})");
  try {
    weighting_of(none, "run 7");
    FAIL() << "all-zero weights accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("run 7: every weight is zero"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace remix::config
