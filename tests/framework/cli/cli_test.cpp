// The `remix` binary end to end: help for every subcommand, the resolved config, plugin listing, read-only
// queries, and every bad input of the foundation giving its message and exit code 2 with nothing recorded
// changed.
#include <gtest/gtest.h>
#include <torch/version.h>

#include "remix/plugin.h"
#include "support/test_env.h"

namespace remix {
namespace {

using test::run_command;

const std::string kGood = "experiment: {name: cli, db: DB}\nrouter: {plugin: test_router}\n"
                          "tasks: {add: {plugin: test_task}}\n";

std::string good_config(const test::TempDir& dir, const std::string& extra = "") {
  std::string text = kGood;
  text.replace(text.find("DB"), 2, dir.file("results.db"));
  return dir.write("exp.yaml", text + extra);
}

TEST(Cli, HelpForEverySubcommand) {
  for (const char* sub : {"run", "config", "plugins", "query"}) {
    auto r = run_command({test::remix_bin(), sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << sub;
  }
  auto r = run_command({test::remix_bin(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub : {"run", "config", "plugins", "query"}) EXPECT_NE(r.out.find(sub), std::string::npos);
}

TEST(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_command({test::remix_bin()}).exit_code, 2);
  EXPECT_EQ(run_command({test::remix_bin(), "frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_command({test::remix_bin(), "query", "only-db"}).exit_code, 2);
  EXPECT_EQ(run_command({test::remix_bin(), "query", "a.db", "SELECT 1", "--format", "xml"}).exit_code, 2);
}

TEST(Cli, ConfigPrintsResolvedTreeTrialKeyAndAxes) {
  test::TempDir dir;
  auto r = test::run_remix_fixtures({"config", good_config(dir), "model.dim=64", "seed=0,1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dim: 64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("n_layers: 4"), std::string::npos);  // defaults filled
  EXPECT_NE(r.out.find("# trial key: "), std::string::npos);
  EXPECT_NE(r.out.find("# sweep axis: seed = [0, 1]"), std::string::npos);
  auto j = test::run_remix_fixtures({"config", good_config(dir), "--format", "json"});
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(j.out)["model"]["dim"], 128);
}

TEST(Cli, TrialKeyIsStableAcrossProcesses) {
  test::TempDir dir;
  auto a = test::run_remix_fixtures({"config", good_config(dir)});
  auto b = test::run_remix_fixtures({"config", good_config(dir), "train.log_every=3"});
  auto key = [](const std::string& out) { return out.substr(out.find("# trial key: ")); };
  ASSERT_EQ(a.exit_code, 0);
  EXPECT_EQ(key(a.out), key(b.out));
}

TEST(Cli, BadConfigValuesExitTwoWithLocation) {
  test::TempDir dir;
  std::string file = good_config(dir, "model:\n  dim: wide\n");
  auto r = test::run_remix_fixtures({"config", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(file + ":5:8: model.dim: expected an integer in [8, 65536], got 'wide'"), std::string::npos)
      << r.err;
  r = test::run_remix_fixtures({"config", good_config(dir), "model.dimm=3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'dim'?"), std::string::npos) << r.err;
  r = test::run_remix_fixtures({"config", good_config(dir), "model.dim"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("malformed override 'model.dim'"), std::string::npos) << r.err;
  r = test::run_remix_fixtures({"config", good_config(dir), "seed=0,x"});  // every value of a sweep axis must validate
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("override 'seed=x'"), std::string::npos) << r.err;
  r = test::run_remix_fixtures({"config", dir.file("absent.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no such config file"), std::string::npos) << r.err;
}

TEST(Cli, PluginsListsTestPluginsAndDescribesOne) {
  auto r = test::run_remix_fixtures({"plugins"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("test_router"), std::string::npos);
  EXPECT_NE(r.out.find("test_task"), std::string::npos);
  EXPECT_NE(r.out.find("unusable: "), std::string::npos);  // the broken ones say why
  r = test::run_remix_fixtures({"plugins", "--describe", "test_router"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("router plugin 'test_router' 0.1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("offset"), std::string::npos);
  EXPECT_NE(r.out.find("an integer in [0, 1000]"), std::string::npos) << r.out;
  r = test::run_remix_fixtures({"plugins", "--describe", "nope"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, RunRecordsTheTrialWithProvenance) {
  test::TempDir dir;
  // Started without libgomp settings, the binary keeps libgomp's own spin (library_environment.h) and records that.
  auto r = run_command({"/usr/bin/env", "-u", "GOMP_SPINCOUNT", "-u", "OMP_WAIT_POLICY", test::remix_bin(),
                        "--plugin-path", test::test_plugin_dir(), "run", good_config(dir, test::tiny_trial_yaml(dir))});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto q = run_command({test::remix_bin(), "query", dir.file("results.db"),
                        "SELECT key, value FROM tags WHERE key IN ('remix.git_rev', 'plugin.router.name', "
                        "'torch.version', 'openmp.spincount', 'blas.threading') ORDER BY key", "--format", "csv"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("openmp.spincount,default"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("blas.threading,"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("plugin.router.name,test_router"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("remix.git_rev,"), std::string::npos);
  EXPECT_NE(q.out.find(std::string("torch.version,") + TORCH_VERSION), std::string::npos) << q.out;  // this build's
}

TEST(Cli, PluginProblemsInRunExitTwo) {
  test::TempDir dir;
  std::string plugins = test::test_plugin_dir();
  struct Case {
    std::string override_text, expected;
  };
  std::vector<Case> cases = {
      {"router.plugin=" + plugins + "/test_wrong_abi.so", "ABI version 42 does not match this remix's ABI version " +
                                                           std::to_string(REMIX_PLUGIN_ABI_VERSION)},
      {"router.plugin=" + plugins + "/test_wrong_fingerprint.so", "plugin was built for 'sdk=0.0;torch=0.4"},
      {"router.plugin=" + plugins + "/test_no_entry.so", "is not a remix plugin"},
      {"router.plugin=/nonexistent/r.so", "plugin library not found: /nonexistent/r.so"},
      {"router.plugin=tset_router", "did you mean 'test_router'?"},
      {"tasks.add.plugin=throwing_task", "task plugin 'throwing_task' (" + plugins + "/test_throwing_task.so) failed "
                                         "to start: cannot open data file /nonexistent/data.jsonl"},
  };
  for (const auto& c : cases) {
    auto r = test::run_remix_fixtures({"run", good_config(dir, test::tiny_trial_yaml(dir)), c.override_text});
    EXPECT_EQ(r.exit_code, 2) << c.override_text << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.override_text << "\n" << r.err;
  }
}

TEST(Cli, BadDatabasesExitTwoAndChangeNothing) {
  test::TempDir dir;
  // A database in a folder that does not exist.
  auto r = test::run_remix_fixtures(
      {"run", good_config(dir, test::tiny_trial_yaml(dir)), "experiment.db=" + dir.file("missing/r.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  // A file that is not SQLite.
  std::string notes = dir.write("notes.txt", "my precious notes\n");
  r = test::run_remix_fixtures({"run", good_config(dir, test::tiny_trial_yaml(dir)), "experiment.db=" + notes});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a SQLite database"), std::string::npos) << r.err;
  EXPECT_EQ(test::read_file(notes), "my precious notes\n");
  r = run_command({test::remix_bin(), "query", notes, "SELECT 1"});
  EXPECT_EQ(r.exit_code, 2);
  // query refusing a write, on a database holding a recorded run.
  ASSERT_EQ(test::run_remix_fixtures({"run", good_config(dir, test::tiny_trial_yaml(dir))}).exit_code, 0);
  std::string db = dir.file("results.db");
  r = run_command({test::remix_bin(), "query", db, "DELETE FROM runs"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refused"), std::string::npos) << r.err;
  r = run_command(
      {test::remix_bin(), "query", db, "SELECT count(*) AS n FROM runs WHERE kind = 'trial'", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)[0]["n"], 1);
  // A database written by a newer remix.
  ASSERT_EQ(run_command({"/usr/bin/sqlite3", db, "INSERT INTO schema_version VALUES (7, 0)"}).exit_code, 0);
  r = test::run_remix_fixtures({"run", good_config(dir, test::tiny_trial_yaml(dir))});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("schema version 7 is newer"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace remix
