// Resolved configs: the trial key ignores spelling (key order, 1 vs 1.0, defaults written out) and the keys
// that do not change what a trial computes, and changes with everything else; `include:` merges files; the
// YAML dump reads back to the same trial.
#include <gtest/gtest.h>

#include "config/core_schema.h"
#include "config/resolved_config.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::config {
namespace {

const std::string kBase = "router: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n";

ResolvedConfig resolve_text(const test::TempDir& dir, const std::string& yaml, std::vector<std::string> ov = {}) {
  std::string file = dir.write("cfg" + std::to_string(std::hash<std::string>{}(yaml)) + ".yaml", yaml);
  return resolve(file, parse_overrides(ov).fixed, plugin::schema_lookup({test::test_plugin_dir()}));
}

TEST(ResolvedConfig, TrialKeyIgnoresSpelling) {
  test::TempDir dir;
  auto a = resolve_text(dir, kBase + "train: {lr: 1, steps: 10}\nseed: 3\n");
  auto b = resolve_text(dir, "seed: 3\ntrain:\n  steps: 10\n  lr: 1.0\n  schedule: cosine\n" + kBase);
  auto c = resolve_text(dir, kBase, {"seed=3", "train.steps=10", "train.lr=1e0"});
  EXPECT_EQ(a.trial_key(), b.trial_key());
  EXPECT_EQ(a.trial_key(), c.trial_key());
  EXPECT_EQ(a.canonical(), b.canonical());
  EXPECT_EQ(a.trial_key().size(), 64u);
}

TEST(ResolvedConfig, TrialKeyIgnoresWhereResultsGoButNotWhatIsComputed) {
  test::TempDir dir;
  auto base = resolve_text(dir, kBase);
  auto moved = resolve_text(dir, kBase, {"experiment.db=/tmp/other.db", "train.log_every=1", "runtime.threads=1",
                                         "sweep.seeds=[1,2]"});
  EXPECT_EQ(base.trial_key(), moved.trial_key());
  for (const char* o : {"seed=1", "model.dim=64", "router.offset=2", "tasks.add.n_train=3", "tasks.add.weight=2",
                        "adapter.target_modules=[q]"}) {
    EXPECT_NE(base.trial_key(), resolve_text(dir, kBase, {o}).trial_key()) << o;
  }
}

TEST(ResolvedConfig, IncludeMergesAndReportsErrorsInTheIncludedFile) {
  test::TempDir dir;
  dir.write("base.yaml", kBase + "model: {dim: 64, n_layers: 2}\n");
  std::string top = dir.write("top.yaml", "include: base.yaml\nmodel: {dim: 32}\n");
  auto cfg = resolve(top, {}, plugin::schema_lookup({test::test_plugin_dir()}));
  EXPECT_EQ(cfg.get_int("model.dim"), 32);
  EXPECT_EQ(cfg.get_int("model.n_layers"), 2);

  std::string bad_base = dir.write("bad_base.yaml", kBase + "model: {n_layers: many}\n");
  std::string top2 = dir.write("top2.yaml", "include: [bad_base.yaml]\n");
  try {
    resolve(top2, {}, plugin::schema_lookup({test::test_plugin_dir()}));
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(bad_base + ":3:"), std::string::npos) << e.what();
  }
  dir.write("loop.yaml", "include: loop.yaml\n");
  EXPECT_THROW(resolve(dir.file("loop.yaml"), {}, plugin::schema_lookup({})), ConfigError);
  dir.write("missing.yaml", "include: nowhere.yaml\n");
  EXPECT_THROW(resolve(dir.file("missing.yaml"), {}, plugin::schema_lookup({})), ConfigError);
}

TEST(ResolvedConfig, YamlDumpReadsBackToTheSameTrial) {
  test::TempDir dir;
  auto cfg = resolve_text(dir, "router: {plugin: test_router, label: 'yes'}\ntasks: {add: {plugin: test_task}}\n"
                                  "experiment: {description: '123'}\n");
  std::string dumped = dir.write("dump.yaml", to_yaml(cfg.tree()));
  auto again = resolve(dumped, {}, plugin::schema_lookup({test::test_plugin_dir()}));
  EXPECT_EQ(cfg.trial_key(), again.trial_key());
  EXPECT_EQ(again.get_string("experiment.description"), "123");
  EXPECT_EQ(again.get_string("router.label"), "yes");
}

TEST(ResolvedConfig, FlattenListsEveryLeafAsJson) {
  test::TempDir dir;
  auto cfg = resolve_text(dir, kBase);
  auto flat = cfg.flatten();
  auto find = [&](const std::string& k) {
    for (const auto& [key, value] : flat)
      if (key == k) return value;
    return std::string("<missing>");
  };
  EXPECT_EQ(find("model.dim"), "128");
  EXPECT_EQ(find("router.plugin"), "\"test_router\"");
  EXPECT_EQ(find("adapter.target_modules"), "[\"gate\",\"up\",\"down\"]");
  EXPECT_EQ(find("train.router_lr"), "null");
}

// A core default that changed (train.grad_clip_scope: global -> group) keeps the keys of trials recorded under the old
// one when a config pins it, and gives the new default a new key rather than reusing results computed the old way.
TEST(ResolvedConfig, AChangedDefaultKeepsOldKeysWherePinnedAndMakesNewOnesForTheNewDefault) {
  test::TempDir dir;
  auto by_default = resolve_text(dir, kBase);
  auto pinned_old = resolve_text(dir, kBase, {"train.grad_clip_scope=global"});
  auto pinned_new = resolve_text(dir, kBase, {"train.grad_clip_scope=group"});
  EXPECT_EQ(by_default.get_string("train.grad_clip_scope"), "group");
  EXPECT_EQ(by_default.trial_key(), pinned_new.trial_key());
  EXPECT_NE(by_default.trial_key(), pinned_old.trial_key());
  // What every key recorded before the change hashed: the config without the key at all.
  EXPECT_FALSE(pinned_old.identity().contains(nlohmann::json::json_pointer("/train/grad_clip_scope")));
  EXPECT_EQ(by_default.identity().at(nlohmann::json::json_pointer("/train/grad_clip_scope")), "group");
}

TEST(ResolvedConfig, EveryChangedDefaultIsAKeyWhenSetKeyWhoseOldValueStillValidates) {
  for (const auto& c : changed_defaults()) {
    const ParamSpec* spec = find_core_spec(c.key);
    ASSERT_NE(spec, nullptr) << c.key;
    EXPECT_TRUE(spec->flags & kParamKeyWhenSet) << c.key << ": only a key-when-set key can omit its old value";
    EXPECT_STREQ(key_neutral_value(*spec), c.old_value) << c.key;
    EXPECT_STRNE(spec->default_value, c.old_value) << c.key << ": the default did not change";
    test::TempDir dir;
    EXPECT_NO_THROW(resolve_text(dir, kBase, {std::string(c.key) + "=" + c.old_value})) << c.key;
  }
}

TEST(ResolvedConfig, MissingFileIsAConfigError) {
  EXPECT_THROW(resolve("/nonexistent/exp.yaml", {}, plugin::schema_lookup({})), ConfigError);
}

}  // namespace
}  // namespace remix::config
