// A sweep whose worker is killed with SIGKILL (with its trial processes, as when a node dies) in the middle of
// its trials: running the same command again re-queues the orphaned trials, resumes them from their
// checkpoints, runs the rest, and ends with every trial completed once and the final metrics of a sweep that
// was never interrupted.
#include <gtest/gtest.h>

#include <csignal>
#include <map>

#include "store/query.h"
#include "support/test_env.h"

namespace remix {
namespace {

std::vector<std::string> sweep_command(const test::TempDir& dir, const std::string& cache_yaml) {
  std::string cfg = dir.write("exp.yaml", "experiment: {name: k, db: " + dir.file("r.db") + ", output_dir: " +
                                              dir.file("runs") + "}\nrouter: {plugin: test_router}\n"
                                              "tasks: {add: {plugin: test_task}}\n" + cache_yaml);
  return {test::remix_bin(), "--plugin-path", test::test_plugin_dir(), "run", cfg, "seed=0,1,2,3",
          "train.steps=120", "train.checkpoint_every=5", "-j", "2"};
}

// trial name -> final metric -> value
std::map<std::string, std::map<std::string, double>> finals(const std::string& db) {
  auto rows = store::query_readonly(db, "SELECT r.name, m.key, m.value FROM latest_metrics m JOIN runs r ON "
                                        "r.id = m.run_id WHERE r.kind = 'trial' AND m.key LIKE 'final/%'").rows;
  std::map<std::string, std::map<std::string, double>> out;
  for (const auto& r : rows) out[std::get<std::string>(r[0])][std::get<std::string>(r[1])] = std::get<double>(r[2]);
  return out;
}

TEST(SweepResume, KilledWorkerResumesEveryTrialOnceToTheSameFinalMetrics) {
  test::TempDir reference, killed, cache;
  std::string shared_base = test::tiny_trial_yaml(cache);  // one cached base for both sweeps
  auto ref = test::run_command(sweep_command(reference, shared_base));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;

  auto command = sweep_command(killed, shared_base);
  {
    test::ChildProcess run(command, /*merge_stderr=*/true, /*own_group=*/true);
    bool killed_it = false;
    while (auto line = run.read_line())
      // A trial past its step-10 checkpoint, far enough from its end that it cannot finish before the kill.
      if (line->find("train step 12/120") != std::string::npos) {
        run.kill_group(SIGKILL);
        killed_it = true;
        break;
      }
    while (run.read_line()) {
    }
    ASSERT_TRUE(killed_it);
    EXPECT_EQ(run.wait(), -SIGKILL);
  }
  auto before = store::query_readonly(killed.file("r.db"), "SELECT count(*) FROM runs WHERE kind = 'trial' AND "
                                                            "status = 'running'").rows;
  EXPECT_GE(std::get<std::int64_t>(before.at(0).at(0)), 1);  // left behind as running by the dead processes

  auto again = test::run_command(command);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming from"), std::string::npos) << again.err;
  auto rows = store::query_readonly(killed.file("r.db"), "SELECT name, status, attempt FROM runs WHERE kind = 'trial' "
                                                          "ORDER BY id").rows;
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& r : rows) {
    EXPECT_EQ(std::get<std::string>(r[1]), "completed") << std::get<std::string>(r[0]);
    EXPECT_LE(std::get<std::int64_t>(r[2]), 2) << std::get<std::string>(r[0]);  // the killed attempt, then one more
  }
  auto expected = finals(reference.file("r.db"));
  EXPECT_EQ(expected.size(), 4u);
  EXPECT_EQ(finals(killed.file("r.db")), expected);
}

}  // namespace
}  // namespace remix
