// Sweep expansion: grid × bundles × command-line axes × seeds in a fixed order, random draws reproducible
// under their seed and inside their ranges, duplicate trials dropped, and every malformed sweep refused with
// file:line:col.
#include <gtest/gtest.h>

#include "plugin/registry.h"
#include "remix/errors.h"
#include "support/test_env.h"
#include "sweep/expansion.h"

namespace remix::sweep {
namespace {

const std::string kBase = "experiment: {name: sw}\nrouter: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n";

std::vector<std::string> names(const SweepPlan& p) {
  std::vector<std::string> out;
  for (const auto& t : p.trials) out.push_back(t.name);
  return out;
}

std::string error_of(const test::TempDir& dir, const std::string& yaml, std::vector<std::string> cli = {}) {
  std::string file = dir.write("bad.yaml", yaml);
  try {
    auto plan = expand_sweep(file, cli);
    resolve_trials(plan, plugin::schema_lookup({test::test_plugin_dir()}));
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    for (auto pos = msg.find(file); pos != std::string::npos; pos = msg.find(file)) msg.replace(pos, file.size(), "bad.yaml");
    return msg;
  }
  return "<no error>";
}

TEST(SweepExpansion, GridTimesBundlesTimesCliAxesTimesSeeds) {
  test::TempDir dir;
  std::string file = dir.write("s.yaml", kBase +
                                             "sweep:\n"
                                             "  parameters:\n"
                                             "    train.lr: [0.001, 0.003]\n"
                                             "    variant:\n"
                                             "      - {name: a, router.offset: 1}\n"
                                             "      - {router.offset: 2, router.mode: fixed}\n"
                                             "  seeds: [0, 1]\n");
  auto plan = expand_sweep(file, {"tasks.add.n_train=8,16"});
  EXPECT_EQ(plan.name, "sw tasks.add.n_train=8,16");  // the experiment with the command line's overrides
  ASSERT_EQ(plan.trials.size(), 16u);
  EXPECT_EQ(plan.trials[0].name, "train.lr=0.001 variant=a tasks.add.n_train=8 seed=0");
  EXPECT_EQ(plan.trials[1].name, "train.lr=0.001 variant=a tasks.add.n_train=8 seed=1");
  EXPECT_EQ(plan.trials[2].name, "train.lr=0.001 variant=a tasks.add.n_train=16 seed=0");
  EXPECT_EQ(plan.trials[4].name, "train.lr=0.001 variant=2,fixed tasks.add.n_train=8 seed=0");
  EXPECT_EQ(plan.trials[15].name, "train.lr=0.003 variant=2,fixed tasks.add.n_train=16 seed=1");

  auto trials = resolve_trials(plan, plugin::schema_lookup({test::test_plugin_dir()}));
  ASSERT_EQ(trials.size(), 16u);
  const auto& last = trials[15].config;
  EXPECT_EQ(last.get_float("train.lr"), 0.003);
  EXPECT_EQ(last.get_int("router.offset"), 2);
  EXPECT_EQ(last.get_string("router.mode"), "fixed");
  EXPECT_EQ(last.get_int("tasks.add.n_train"), 16);
  EXPECT_EQ(last.get_int("seed"), 1);
  std::set<std::string> keys;
  for (const auto& t : trials) keys.insert(t.config.trial_key());
  EXPECT_EQ(keys.size(), 16u);
}

TEST(SweepExpansion, NoSweepIsOneTrialNamedAfterTheExperiment) {
  test::TempDir dir;
  auto plan = expand_sweep(dir.write("one.yaml", kBase), {});
  ASSERT_EQ(plan.trials.size(), 1u);
  EXPECT_EQ(plan.trials[0].name, "sw");
  // A trial's name lists what varies across its sweep, not every override: one trial is its experiment.
  plan = expand_sweep(dir.write("one.yaml", kBase), {"seed=4", "train.lr=0.01", "train.steps=7", "model.dim=64"});
  EXPECT_EQ(plan.trials[0].name, "sw");
  EXPECT_EQ(plan.name, "sw seed=4 train.lr=0.01 train.steps=7 model.dim=64");  // the sweep still tells them apart
  plan = expand_sweep(dir.write("one.yaml", kBase), {"seed=4", "train.lr=0.01,0.02"});
  EXPECT_EQ(names(plan), (std::vector<std::string>{"train.lr=0.01", "train.lr=0.02"}));
  plan = expand_sweep(dir.write("named.yaml", kBase + "sweep: {name: mine}\n"), {"seed=4"});
  EXPECT_EQ(plan.name, "mine");
}

// A command-line value for a key the file's sweep sets would be replaced by the sweep's value in every trial.
TEST(SweepExpansion, ACommandLineOverrideTheSweepWouldReplaceIsRefusedNamingBoth) {
  test::TempDir dir;
  std::string sweep = "sweep:\n  parameters:\n    variant:\n      - {name: a, router.offset: 1}\n"
                      "      - {name: b, router.mode: fixed}\n    train.lr: [0.001, 0.002]\n  seeds: [0, 1]\n";
  struct Case {
    std::vector<std::string> cli;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{"router.offset=5"}, "router.offset=5: the command line sets router.offset, but sweep.parameters.variant "
                            "(bad.yaml:7:34) also sets router.offset in every trial"},
      {{"router={plugin: test_router}"}, "sweep.parameters.variant"},  // a whole block holding a swept key
      {{"train.lr=0.1,0.2"}, "the command line sets train.lr, but sweep.parameters.train.lr"},
      {{"seed=3"}, "seed=3: the command line sets seed, but sweep.seeds (bad.yaml:10:10)"},
  };
  for (const auto& c : cases) {
    std::string msg = error_of(dir, kBase + sweep, c.cli);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "expected: " << c.expected << "\ngot: " << msg;
    EXPECT_NE(msg.find("remove the override"), std::string::npos) << msg;
  }
  EXPECT_NE(error_of(dir, kBase + sweep, {"seed=3"}).find("set sweep.seeds=[...] instead"), std::string::npos);
  // What the sweep does not set, and the sweep itself, can be overridden.
  EXPECT_EQ(error_of(dir, kBase + sweep, {"train.steps=5"}).find("command line sets"), std::string::npos);
  auto plan = expand_sweep(dir.write("ok.yaml", kBase + sweep), {"sweep.seeds=[3]", "~sweep.parameters", "train.lr=0.1"});
  EXPECT_EQ(names(plan), std::vector<std::string>{"seed=3"});
}

// A bundle that sets a key another axis also sets (a train.lr axis merged in from an included file): one value would
// replace the other in every trial, and the trials would not be what their names say. Bug: the bundle's rate was
// dropped and its trial ran, and was named, at the axis's rate.
TEST(SweepExpansion, TwoAxesSettingOneKeyAreRefusedNamingBoth) {
  test::TempDir dir;
  std::string base = dir.write("base.yaml", kBase + "sweep:\n  parameters:\n    train.lr: [0.001, 0.002]\n");
  std::string msg = error_of(dir, "include: " + base + "\nsweep:\n  parameters:\n    variant:\n"
                                  "      - {name: a, router.offset: 1, train.lr: 0.005}\n");
  EXPECT_NE(msg.find("sets train.lr, and sweep.parameters.variant (bad.yaml:5:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sweep.parameters.train.lr ("), std::string::npos) << msg;
  EXPECT_NE(msg.find("set it in one axis only"), std::string::npos) << msg;
  // Two lists in one file, and a random range against a list.
  msg = error_of(dir, kBase + "sweep:\n  parameters:\n    router.offset: [1, 2]\n    v: [{router.offset: 3}]\n");
  EXPECT_NE(msg.find("in every trial one would replace the other"), std::string::npos) << msg;
  msg = error_of(dir, kBase + "sweep:\n  method: random\n  parameters:\n    train.lr: {min: 0.001, max: 0.01}\n"
                              "    v: [{train.lr: 0.1}]\n");
  EXPECT_NE(msg.find("in every trial one would replace the other"), std::string::npos) << msg;
  // Different keys in two axes, and one key across one axis's bundles, are a sweep.
  EXPECT_EQ(error_of(dir, kBase + "sweep:\n  parameters:\n    train.lr: [0.001]\n    v: [{train.steps: 5}, "
                                  "{train.steps: 6, router.offset: 2}]\n"),
            "<no error>");
}

// An including file drops an inherited axis by setting it to null, and may then set that key in its bundles.
TEST(SweepExpansion, AnAxisSetToNullByAnIncludingFileIsNoAxis) {
  test::TempDir dir;
  std::string base = dir.write("base.yaml", kBase + "sweep:\n  parameters:\n    train.lr: [0.001, 0.002]\n");
  auto plan = expand_sweep(dir.write("ok.yaml", "include: " + base + "\nsweep:\n  parameters:\n    train.lr: ~\n"
                                                "    variant:\n      - {name: a, train.lr: 0.005}\n"
                                                "      - {name: b, train.lr: 0.007}\n"),
                           {});
  EXPECT_EQ(names(plan), (std::vector<std::string>{"variant=a", "variant=b"}));
  auto trials = resolve_trials(plan, plugin::schema_lookup({test::test_plugin_dir()}));
  EXPECT_DOUBLE_EQ(trials.at(1).config.get_float("train.lr"), 0.007);
}

TEST(SweepExpansion, RandomDrawsAreReproducibleAndInRange) {
  test::TempDir dir;
  std::string sweep = "sweep:\n  method: random\n  samples: 20\n  parameters:\n"
                      "    train.lr: {min: 1.0e-4, max: 1.0e-2, log: true}\n"
                      "    train.steps: {min: 10, max: 20}\n"
                      "    router.mode: [cyclic, fixed]\n";
  std::string file = dir.write("r.yaml", kBase + sweep);
  auto a = expand_sweep(file, {}), b = expand_sweep(file, {});
  EXPECT_EQ(names(a), names(b));
  auto c = expand_sweep(file, {"sweep.random_seed=7"});
  EXPECT_NE(names(a), names(c));
  auto trials = resolve_trials(a, plugin::schema_lookup({test::test_plugin_dir()}));
  ASSERT_EQ(trials.size(), 20u);
  std::set<std::string> modes;
  for (const auto& t : trials) {
    double lr = t.config.get_float("train.lr");
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-2);
    auto steps = t.config.get_int("train.steps");  // integer bounds draw integers
    EXPECT_GE(steps, 10);
    EXPECT_LE(steps, 20);
    modes.insert(t.config.get_string("router.mode"));
  }
  EXPECT_EQ(modes.size(), 2u);
}

TEST(SweepExpansion, DuplicateTrialsAreDropped) {
  test::TempDir dir;
  std::string file = dir.write("d.yaml", kBase + "sweep:\n  parameters:\n    train.lr: [0.001, 1.0e-3, 0.002]\n");
  auto trials = resolve_trials(expand_sweep(file, {}), plugin::schema_lookup({test::test_plugin_dir()}));
  EXPECT_EQ(trials.size(), 2u);
}

TEST(SweepExpansion, MalformedSweepsAreRefusedWithLocation) {
  test::TempDir dir;
  struct Case {
    std::string yaml, expected;
    std::vector<std::string> cli;
  };
  std::vector<Case> cases = {
      {kBase + "sweep:\n  parameters:\n    train.lr: []\n", "bad.yaml:6:15: sweep.parameters.train.lr: empty list of values"},
      {kBase + "sweep:\n  method: random\n  parameters:\n    train.lr: {min: 0.1, max: 0.01}\n",
       "sweep.parameters.train.lr: min (0.1) is greater than max (0.01)"},
      {kBase + "sweep:\n  parameters:\n    train.lr: {min: 0.01, max: 0.1}\n",
       "a {min, max} range needs sweep.method: random"},
      {kBase + "sweep:\n  method: random\n  parameters:\n    train.lr: {min: 0, max: 0.1, log: true}\n",
       "a log range needs min > 0"},
      {kBase + "sweep:\n  parameters:\n    train.lrr: [0.1, 0.2]\n",
       "bad.yaml:6:17: sweep value 'train.lrr=0.1': train.lrr: no such key (did you mean 'lr'?)"},
      {kBase + "sweep:\n  parameters:\n    v: [{router.offset: 1}, 3]\n", "mixes bundles"},
      {kBase + "sweep:\n  parameters:\n    train.lr: 0.1\n", "expected a list of values or {min, max, log}"},
      {kBase + "sweep:\n  method: grdi\n", "sweep.method: expected one of grid|random, got 'grdi' (did you mean 'grid'?)"},
      {kBase, "override 'seed=x'", {"seed=1,x"}},
  };
  for (const auto& c : cases) {
    std::string msg = error_of(dir, c.yaml, c.cli);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "expected: " << c.expected << "\ngot: " << msg;
  }
}

TEST(SweepExpansion, ASimplexAxisSetsEveryTasksWeight) {
  test::TempDir dir;
  const std::string two = "experiment: {name: sw}\nrouter: {plugin: test_router}\n"
                          "tasks: {add: {plugin: test_task}, sub: {plugin: test_task}}\n";
  std::string file = dir.write("s.yaml", two +
                                             "sweep:\n"
                                             "  parameters:\n"
                                             "    task_weights: {simplex: [add, sub], divisions: 2}\n");
  auto plan = expand_sweep(file, {});
  ASSERT_EQ(plan.trials.size(), 3u);
  EXPECT_EQ(plan.trials[0].name, "task_weights=add=1,sub=0");
  EXPECT_EQ(plan.trials[1].name, "task_weights=add=0.5,sub=0.5");
  auto trials = resolve_trials(plan, plugin::schema_lookup({test::test_plugin_dir()}));
  EXPECT_EQ(trials[2].config.get_float("tasks.add.weight"), 0.0);
  EXPECT_EQ(trials[2].config.get_float("tasks.sub.weight"), 1.0);

  std::string points = dir.write("p.yaml", two +
                                               "sweep:\n"
                                               "  parameters:\n"
                                               "    task_weights: {simplex: [add, sub], points: [[3, 1], [0, 2]]}\n");
  auto p = resolve_trials(expand_sweep(points, {}), plugin::schema_lookup({test::test_plugin_dir()}));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].config.get_float("tasks.add.weight"), 0.75);
  EXPECT_EQ(p[1].config.get_float("tasks.sub.weight"), 1.0);

  auto bad = [&](const std::string& axis) {
    return error_of(dir, two + "sweep:\n  parameters:\n    w: " + axis + "\n");
  };
  EXPECT_NE(bad("{simplex: [add, mul], divisions: 2}").find("no task 'mul'"), std::string::npos);
  EXPECT_NE(bad("{simplex: [add, sub], points: [[-1, 2]]}").find("the weight of task 'add' is -1"), std::string::npos);
  EXPECT_NE(bad("{simplex: [add, sub], points: [[0, 0]]}").find("every weight is zero"), std::string::npos);
  EXPECT_NE(bad("{simplex: [add, sub], points: [[1]]}").find("each point is a list of 2 weights"), std::string::npos);
  EXPECT_NE(bad("{simplex: [add, sub]}").find("divisions: N or points"), std::string::npos);
  auto located = bad("{simplex: [add, sub], divisions: 0}");
  EXPECT_NE(located.find("bad.yaml:"), std::string::npos) << located;
  EXPECT_NE(located.find("divisions must be at least 1"), std::string::npos) << located;
}

}  // namespace
}  // namespace remix::sweep
