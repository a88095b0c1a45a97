// `remix slurm`: the sweep is registered before any task starts, the printed sbatch script asks for what the
// options say, and its worker command, run here as an array task would run it, completes every trial. Bad
// options exit 2 with nothing recorded.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/query.h"
#include "support/test_env.h"

namespace remix {
namespace {

std::string config(const test::TempDir& dir) {
  return dir.write("exp.yaml", "experiment: {name: cluster, db: " + dir.file("r.db") +
                                   "}\nrouter: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n" +
                                   test::tiny_trial_yaml(dir));
}

test::CommandResult remix(std::vector<std::string> args) {
  args.insert(args.begin(), {test::remix_bin(), "--plugin-path", test::test_plugin_dir()});
  return test::run_command(args);
}

TEST(Slurm, PrintsAnArrayScriptWhoseWorkerCommandRunsTheSweep) {
  test::TempDir dir;
  auto r = remix({"slurm", config(dir), "seed=0,1,2", "--array", "2", "--partition", "gpu", "--time", "1:30:00",
                  "--gpus", "1", "--cpus", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"#!/bin/bash\n", "#SBATCH --array=0-1\n", "#SBATCH --partition=gpu\n",
                           "#SBATCH --time=1:30:00\n", "#SBATCH --gpus-per-task=1\n", "#SBATCH --cpus-per-task=4\n",
                           "#SBATCH --job-name=remix-cluster_seed_0_1_2\n", "3 trials registered in"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  // Registered before any task runs: three pending trials.
  auto pending = store::query_readonly(dir.file("r.db"), "SELECT count(*) FROM runs WHERE status = 'pending'");
  EXPECT_EQ(std::get<std::int64_t>(pending.rows.at(0).at(0)), 3);

  // The script as Slurm would run it, from another folder: it makes its log folder, then runs the worker.
  auto script = dir.write("job.sh", r.out);
  test::TempDir elsewhere;
  auto w = test::run_command({"/bin/bash", script}, {}, elsewhere.path().string());
  EXPECT_EQ(w.exit_code, 0) << w.err;
  auto done = store::query_readonly(dir.file("r.db"), "SELECT count(*) FROM runs WHERE kind = 'trial' AND status = 'completed'");
  EXPECT_EQ(std::get<std::int64_t>(done.rows.at(0).at(0)), 3) << w.err;
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("slurm")));
}

TEST(Slurm, NprocRunsEachTrialOnThatManyRanksOfTheTasksNode) {
  test::TempDir dir;
  auto r = remix({"slurm", config(dir), "--cpus", "4", "--nproc", "2", "--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" --jobs 2 --nproc 2\n"), std::string::npos) << r.out;
}

TEST(Slurm, BadOptionsExitTwoAndRecordNothing) {
  test::TempDir dir;
  std::string cfg = config(dir);
  for (std::vector<std::string> bad : {std::vector<std::string>{"--array", "0"},
                                       {"--time", "soon"},
                                       {"--gpus", "-1"},
                                       {"--partition", "a b"},
                                       {"--cpus", "2", "--nproc", "4"},  // 4 ranks on 2 cores
                                       {"tasks.add.nope=1"}}) {
    std::vector<std::string> args = {"slurm", cfg};
    args.insert(args.end(), bad.begin(), bad.end());
    auto r = remix(args);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << "\n" << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.db")));
}

}  // namespace
}  // namespace remix
