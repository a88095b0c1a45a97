// Malformed configs, each checked for the message a researcher needs: file:line:col, the dotted key path,
// what was expected, and the closest valid key or value for typos. Uses the real loader-test plugins.
#include <gtest/gtest.h>

#include "config/core_schema.h"
#include "config/resolved_config.h"
#include "config/typed_value.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::config {
namespace {

const char* kHead = "experiment: {name: t}\nrouter:\n  plugin: test_router\ntasks:\n  add: {plugin: test_task}\n";

struct BadConfig {
  const char* name;
  std::string yaml;
  std::vector<std::string> overrides;
  std::vector<std::string> expected;  // substrings of the message
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

std::string error_of(const BadConfig& c) {
  test::TempDir dir;
  std::string file = dir.write("cfg.yaml", c.yaml);
  try {
    resolve(file, parse_overrides(c.overrides).fixed, plugin::schema_lookup({test::test_plugin_dir()}));
  } catch (const UserError& e) {
    std::string msg = e.what();
    // Tests compare against "cfg.yaml:..." whatever the temp folder was.
    for (auto pos = msg.find(file); pos != std::string::npos; pos = msg.find(file))
      msg.replace(pos, file.size(), "cfg.yaml");
    return msg;
  }
  return "<no error>";
}

std::vector<BadConfig> bad_configs() {
  std::string plugins = test::test_plugin_dir();
  return {
      {"yaml_syntax", std::string(kHead) + "model: {dim: 128\n", {}, {"cfg.yaml:7:1: YAML syntax error"}},
      {"unknown_key_typo", std::string(kHead) + "model:\n  dimm: 128\n", {},
       {"cfg.yaml:7:3: model.dimm: unknown key (did you mean 'dim'?)"}},
      {"unknown_section_typo", std::string(kHead) + "modle: {dim: 3}\n", {},
       {"cfg.yaml:6:1: modle: unknown key (did you mean 'model'?)"}},
      {"key_in_wrong_section", std::string(kHead) + "train: {top_k: 2}\n", {},
       {"train.top_k: unknown key (did you mean 'adapter.top_k'?)"}},
      {"wrong_type_int", std::string(kHead) + "model:\n  dim: abc\n", {},
       {"cfg.yaml:7:8: model.dim: expected an integer in [8, 65536], got 'abc'"}},
      {"float_for_int", std::string(kHead) + "model: {dim: 1.5}\n", {}, {"model.dim: expected an integer in [8, 65536], got '1.5'"}},
      {"quoted_number_for_int", std::string(kHead) + "seed: \"3\"\n", {}, {"seed: expected an integer >= 0, got '3'"}},
      {"wrong_type_bool", std::string(kHead) + "model: {tie_embeddings: maybe}\n", {},
       {"model.tie_embeddings: expected a bool (true/false), got 'maybe'"}},
      {"out_of_range_low", std::string(kHead) + "adapter:\n  top_k: 0\n", {},
       {"cfg.yaml:7:10: adapter.top_k: must be at least 1, got 0"}},
      {"out_of_range_high", std::string(kHead) + "adapter: {lora_dropout: 1.5}\n", {},
       {"adapter.lora_dropout: must be at most 0.99, got 1.5"}},
      {"bad_choice", std::string(kHead) + "train: {schedule: cosin}\n", {},
       {"train.schedule: expected one of cosine|linear|constant, got 'cosin' (did you mean 'cosine'?)"}},
      {"bad_list_item", std::string(kHead) + "adapter: {target_modules: [gate, upp]}\n", {},
       {"adapter.target_modules: item 1: 'upp' is not one of q|k|v|o|gate|up|down|q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj (did you mean 'up'?)"}},
      {"list_expected", std::string(kHead) + "adapter: {target_modules: gate}\n", {},
       {"adapter.target_modules: expected a list of q|k|v|o|gate|up|down|q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj, got 'gate'"}},
      {"mapping_expected", std::string(kHead) + "model: 3\n", {}, {"cfg.yaml:6:8: model: expected a mapping of keys"}},
      {"duplicate_key", std::string(kHead) + "seed: 1\nseed: 2\n", {}, {"cfg.yaml:7:1: duplicate key 'seed'"}},
      {"missing_router", "tasks: {add: {plugin: test_task}}\n", {}, {"cfg.yaml:1:1: router: missing required key"}},
      {"missing_tasks", "router: {plugin: test_router}\n", {}, {"cfg.yaml:1:1: tasks: missing required key"}},
      {"empty_tasks", "router: {plugin: test_router}\ntasks: {}\n", {}, {"cfg.yaml:2:8: tasks: expected a mapping"}},
      {"missing_router_plugin", "router: {offset: 1}\ntasks: {add: {plugin: test_task}}\n", {},
       {"router.plugin: missing required key (the router plugin to use)"}},
      {"unknown_plugin_typo", "router: {plugin: test_ruoter}\ntasks: {add: {plugin: test_task}}\n", {},
       {"cfg.yaml:1:18: router.plugin: no router plugin named 'test_ruoter' (did you mean 'test_router'?)",
        "searched:"}},
      {"plugin_of_wrong_kind", "router: {plugin: test_router}\ntasks: {x: {plugin: test_router}}\n", {},
       {"tasks.x.plugin: plugin 'test_router'", "is a router plugin, but a task plugin is needed here"}},
      {"unknown_plugin_param", std::string(kHead) + "", {"+router.ofset=3"},
       {"override '+router.ofset=3': router.ofset: unknown key for router plugin 'test_router'",
        "(did you mean 'offset'?)"}},
      {"plugin_param_wrong_type", "router: {plugin: test_router, weight: heavy}\ntasks: {add: {plugin: test_task}}\n",
       {}, {"cfg.yaml:1:39: router.weight: expected a number in [0, 10], got 'heavy'"}},
      {"plugin_param_out_of_range", "router: {plugin: test_router, offset: 5000}\ntasks: {add: {plugin: test_task}}\n",
       {}, {"router.offset: must be at most 1000, got 5000"}},
      {"task_param_typo", "router: {plugin: test_router}\ntasks: {add: {plugin: test_task, n_trian: 5}}\n", {},
       {"tasks.add.n_trian: unknown key for task plugin 'test_task'", "(did you mean 'n_train'?)"}},
      {"override_unknown_key", kHead, {"model.dimm=3"},
       {"override 'model.dimm=3': model.dimm: no such key (did you mean 'dim'?)", "'+model.dimm=...' adds a key"}},
      {"override_wrong_type", kHead, {"seed=abc"}, {"override 'seed=abc': seed: expected an integer >= 0, got 'abc'"}},
      {"override_new_task_without_plus", kHead, {"tasks.more.plugin=test_task"},
       {"tasks.more: no such block in the config; add one with '+tasks.more.plugin=NAME'"}},
      {"plugin_wrong_abi", "router: {plugin: " + plugins + "/test_wrong_abi.so}\ntasks: {add: {plugin: test_task}}\n",
       {}, {"router.plugin:", "test_wrong_abi.so: plugin ABI version 42 does not match this remix's ABI version " +
                          std::to_string(REMIX_PLUGIN_ABI_VERSION)}},
      {"plugin_wrong_fingerprint",
       "router: {plugin: " + plugins + "/test_wrong_fingerprint.so}\ntasks: {add: {plugin: test_task}}\n",
       {}, {"test_wrong_fingerprint.so: plugin was built for 'sdk=0.0;torch=0.4;cxx11abi=0;compiler=gcc-4'",
            "this remix is 'sdk="}},
      {"plugin_no_entry", "router: {plugin: " + plugins + "/test_no_entry.so}\ntasks: {add: {plugin: test_task}}\n",
       {}, {"test_no_entry.so is not a remix plugin: it exports no 'remix_plugin_entry' entry point"}},
      {"plugin_missing_file", "router: {plugin: /nonexistent/router.so}\ntasks: {add: {plugin: test_task}}\n", {},
       {"router.plugin: plugin library not found: /nonexistent/router.so"}},
      // Found by each trial of a sweep, after its tasks had loaded, before this check.
      {"every_task_weight_zero",
       "router: {plugin: test_router}\ntasks:\n  add: {plugin: test_task, weight: 0}\n"
       "  more: {plugin: test_task, weight: 0.0}\n",
       {}, {"cfg.yaml:3:3: tasks: every task's weight is 0 (tasks.add.weight = 0, tasks.more.weight = 0.0): nothing "
            "to train on"}},
      {"override_zeroes_the_only_weight", kHead, {"tasks.add.weight=0"},
       {"every task's weight is 0 (tasks.add.weight = 0)"}},
      {"several_problems_at_once", std::string(kHead) + "seed: -1\nmodel: {dim: x}\n", {},
       {"invalid config (2 problems)", "seed: must be at least 0, got -1", "model.dim: expected an integer"}},
  };
}

class MalformedConfig : public ::testing::TestWithParam<BadConfig> {};

TEST_P(MalformedConfig, ReportsWhereAndWhat) {
  const BadConfig& c = GetParam();
  std::string msg = error_of(c);
  for (const auto& part : c.expected) EXPECT_NE(msg.find(part), std::string::npos) << "expected: " << part << "\ngot: " << msg;
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedConfig, ::testing::ValuesIn(bad_configs()),
                         [](const ::testing::TestParamInfo<BadConfig>& i) { return std::string(i.param.name); });

TEST(Validate, ATaskOfWeightZeroBesideATrainedOneIsAccepted) {
  test::TempDir dir;
  std::string file = dir.write("cfg.yaml",
                               "router: {plugin: test_router}\ntasks:\n  add: {plugin: test_task, weight: 0}\n"
                               "  more: {plugin: test_task}\n");
  auto cfg = resolve(file, {}, plugin::schema_lookup({test::test_plugin_dir()}));
  EXPECT_EQ(cfg.get_float("tasks.add.weight"), 0.0);  // evaluated only
  EXPECT_EQ(cfg.get_float("tasks.more.weight"), 1.0);
}

TEST(Validate, FillsDefaultsAndTypesValues) {
  test::TempDir dir;
  std::string file = dir.write("good.yaml", std::string(kHead) + "train: {lr: 1}\n");
  auto cfg = resolve(file, {}, plugin::schema_lookup({test::test_plugin_dir()}));
  EXPECT_TRUE(cfg.at("train.lr").is_number_float());  // `1` for a float key is 1.0
  EXPECT_EQ(cfg.get_float("train.lr"), 1.0);
  EXPECT_EQ(cfg.get_int("model.dim"), 128);
  EXPECT_TRUE(cfg.at("train.router_lr").is_null());
  EXPECT_EQ(cfg.get_int("router.offset"), 0);                 // plugin default
  EXPECT_EQ(cfg.get_string("router.mode"), "cyclic");
  EXPECT_EQ(cfg.get_float("tasks.add.weight"), 1.0);          // core key of a task block
  EXPECT_EQ(cfg.get_int("tasks.add.n_train"), 64);
  EXPECT_EQ(cfg.plugin("router").name, "test_router");
  auto params = cfg.plugin_params("router");
  EXPECT_EQ(params.get_int("offset"), 0);
  EXPECT_EQ(params.get_strings("modules").size(), 0u);
}

TEST(Validate, EveryCoreDefaultValidates) {
  // default_json throws on a default that its own spec rejects: a bug in the table.
  for (const auto& spec : config::core_schema()) {
    if (spec.default_value) EXPECT_NO_THROW(default_json(spec)) << spec.name;
  }
}

}  // namespace
}  // namespace remix::config
