// The override grammar: a.b=v, +a.b=v, ~a.b, comma lists as sweep axes, YAML values, and the errors for
// malformed overrides and for adding/removing keys that are / are not there.
#include <gtest/gtest.h>

#include "config/overrides.h"
#include "remix/errors.h"

namespace remix::config {
namespace {

ConfigNode tree(const std::string& yaml) { return parse_yaml_text(yaml, Origin{"test.yaml", 1, 1, ""}); }

TEST(Overrides, ParsesSetAddRemove) {
  auto set = parse_override("model.dim=64");
  EXPECT_EQ(set.op, Override::Op::Set);
  EXPECT_EQ(set.key(), "model.dim");
  EXPECT_EQ(set.values, std::vector<std::string>{"64"});
  EXPECT_FALSE(set.is_sweep_axis());

  auto add = parse_override("+tasks.code.weight=2");
  EXPECT_EQ(add.op, Override::Op::Add);
  EXPECT_EQ(add.path, (std::vector<std::string>{"tasks", "code", "weight"}));

  auto rm = parse_override("~train.router_lr");
  EXPECT_EQ(rm.op, Override::Op::Remove);
  EXPECT_TRUE(rm.values.empty());
}

TEST(Overrides, CommaListIsSweepAxisButNotInsideBracketsOrQuotes) {
  auto axis = parse_override("router.plugin=remix,softmax,hydra");
  EXPECT_TRUE(axis.is_sweep_axis());
  EXPECT_EQ(axis.values, (std::vector<std::string>{"remix", "softmax", "hydra"}));

  EXPECT_FALSE(parse_override("adapter.target_modules=[gate,up]").is_sweep_axis());
  EXPECT_FALSE(parse_override("experiment.description=\"a, b\"").is_sweep_axis());
  auto lists = parse_override("adapter.target_modules=[gate,up],[down]");
  EXPECT_EQ(lists.values, (std::vector<std::string>{"[gate,up]", "[down]"}));
}

TEST(Overrides, MalformedOnesAreRejectedWithTheirText) {
  for (const char* bad : {"model.dim", "=3", "model..dim=3", "+model.dim", "~model.dim=3", "a b=1", "seed=1,,2", ""}) {
    try {
      parse_override(bad);
      ADD_FAILURE() << "accepted malformed override '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(Overrides, SetReplacesValueAndKeepsPositionOfKey) {
  auto root = tree("model: {dim: 128, n_layers: 4}\nseed: 1\n");
  apply_overrides(root, {parse_override("model.dim=64"), parse_override("seed=7")});
  EXPECT_EQ(root.find_path({"model", "dim"})->scalar, "64");
  EXPECT_EQ(root.find("seed")->scalar, "7");
  EXPECT_EQ(root.keys(), (std::vector<std::string>{"model", "seed"}));
  EXPECT_FALSE(root.find_path({"model", "dim"})->from_plain_override);
  EXPECT_EQ(root.find_path({"model", "dim"})->origin.describe(), "override 'model.dim=64'");
}

TEST(Overrides, ValuesAreYaml) {
  auto root = tree("adapter: {}\n");
  apply_overrides(root, {parse_override("+adapter.target_modules=[q, v]")});
  const ConfigNode* tm = root.find_path({"adapter", "target_modules"});
  ASSERT_NE(tm, nullptr);
  ASSERT_EQ(tm->kind, ConfigNode::Kind::Sequence);
  EXPECT_EQ(tm->items.size(), 2u);
  apply_overrides(root, {parse_override("experiment.description='42'")});
  EXPECT_TRUE(root.find_path({"experiment", "description"})->quoted);
}

TEST(Overrides, PlainSetOfAbsentKeyIsMarkedForValidation) {
  auto root = tree("model: {dim: 128}\n");
  apply_overrides(root, {parse_override("model.n_layers=2")});
  EXPECT_TRUE(root.find_path({"model", "n_layers"})->from_plain_override);
}

TEST(Overrides, AddOfPresentKeyAndRemoveOfAbsentKeyFail) {
  auto root = tree("model: {dim: 128}\n");
  EXPECT_THROW(apply_overrides(root, {parse_override("+model.dim=3")}), ConfigError);
  EXPECT_THROW(apply_overrides(root, {parse_override("~model.n_layers")}), ConfigError);
  EXPECT_THROW(apply_overrides(root, {parse_override("model.dim.x=3")}), ConfigError);  // dim is not a map
}

TEST(Overrides, RemoveDeletesKey) {
  auto root = tree("model: {dim: 128, n_layers: 4}\n");
  apply_overrides(root, {parse_override("~model.dim")});
  EXPECT_EQ(root.find_path({"model", "dim"}), nullptr);
  EXPECT_NE(root.find_path({"model", "n_layers"}), nullptr);
}

TEST(Overrides, SweepAxisMustBeExpandedBeforeApplying) {
  auto root = tree("seed: 0\n");
  auto axis = parse_override("seed=0,1,2");
  EXPECT_THROW(apply_overrides(root, {axis}), ConfigError);
  auto one = axis.with_value("2");
  EXPECT_EQ(one.text, "seed=2");
  apply_overrides(root, {one});
  EXPECT_EQ(root.find("seed")->scalar, "2");
}

}  // namespace
}  // namespace remix::config
