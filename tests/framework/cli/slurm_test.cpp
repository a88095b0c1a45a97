// `remix slurm`: the sweep is registered before any task starts, the printed sbatch script asks for what the
// options say, and its worker command, run here as an array task would run it, completes every trial — with
// --nodes, on ranks that srun starts (a stand-in srun here). Bad options exit 2 with nothing recorded.
#include <gtest/gtest.h>

#include <filesystem>

#include <torch/torch.h>

#include "store/query.h"
#include "train/data_parallel.h"
#include "support/test_env.h"

namespace remix {
namespace {

std::string config(const test::TempDir& dir) {
  return dir.write("exp.yaml", "experiment: {name: cluster, db: " + dir.file("r.db") +
                                   "}\nrouter: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n" +
                                   test::tiny_trial_yaml(dir));
}

TEST(Slurm, PrintsAnArrayScriptWhoseWorkerCommandRunsTheSweep) {
  test::TempDir dir;
  auto r = test::run_remix_fixtures({"slurm", config(dir), "seed=0,1,2", "--array", "2", "--partition", "gpu", "--time",
                                     "1:30:00", "--gpus", "1", "--cpus", "4"});
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
  auto done = store::query_readonly(dir.file("r.db"),
                                    "SELECT count(*) FROM runs WHERE kind = 'trial' AND status = 'completed'");
  EXPECT_EQ(std::get<std::int64_t>(done.rows.at(0).at(0)), 3) << w.err;
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("slurm")));
}

TEST(Slurm, NprocRunsEachTrialOnThatManyRanksOfTheTasksNode) {
  test::TempDir dir;
  auto r = test::run_remix_fixtures({"slurm", config(dir), "--cpus", "4", "--nproc", "2", "--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" --jobs 2 --nproc 2\n"), std::string::npos) << r.out;
}

// No Slurm here: these stand in for its srun (start --ntasks copies of the command, each with the SLURM_PROCID,
// SLURM_NTASKS and SLURM_LOCALID srun gives a task, fail when one fails) and scontrol (the allocation's hosts).
const char* kFakeSrun = R"(#!/bin/bash
n=1; per=1
while [[ "$1" == --* ]]; do
  case "$1" in --ntasks=*) n=${1#--ntasks=};; --ntasks-per-node=*) per=${1#--ntasks-per-node=};; esac
  shift
done
echo "srun: $n tasks" >&2
pids=()
for ((i = 0; i < n; i++)); do
  SLURM_PROCID=$i SLURM_NTASKS=$n SLURM_LOCALID=$((i % per)) SLURM_NODEID=$((i / per)) "$@" & pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
exit $rc
)";

TEST(Slurm, NodesRunEachTrialOnRanksAcrossTheAllocationThroughSrun) {
  if (!train::data_parallel_available()) GTEST_SKIP() << "this build has no c10d Gloo (data parallelism)";
  test::TempDir dir;
  auto r = test::run_remix_fixtures(
      {"slurm", config(dir), "seed=0,1", "--nodes", "2", "--nproc", "1", "--cpus", "1", "--array", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=1\n", "#SBATCH --cpus-per-task=1\n",
                           "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))\n",
                           " --launcher 'srun --nodes=2 --ntasks=2 --ntasks-per-node=1 --cpus-per-task=1 "
                           "--kill-on-bad-exit=1'\n"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  EXPECT_EQ(r.out.find("#SBATCH --ntasks=1\n"), std::string::npos) << r.out;

  test::TempDir bin;
  for (const auto& [name, body] : {std::pair<std::string, std::string>{"srun", kFakeSrun},
                                   {"scontrol", "#!/bin/bash\necho localhost\n"}}) {
    auto path = bin.write(name, body);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }
  auto script = dir.write("job.sh", r.out);
  auto w = test::run_command({"/bin/bash", script},
                             {{"PATH", bin.path().string() + ":" + std::getenv("PATH")},
                              {"SLURM_JOB_NODELIST", "node[1-2]"},
                              {"SLURM_JOB_ID", "4242"},
                              {"SLURM_NTASKS", "2"}});
  EXPECT_EQ(w.exit_code, 0) << w.err;
  auto done = store::query_readonly(dir.file("r.db"),
                                    "SELECT count(*) FROM runs WHERE kind = 'trial' AND status = 'completed'");
  EXPECT_EQ(std::get<std::int64_t>(done.rows.at(0).at(0)), 2) << w.err;
  EXPECT_NE(w.err.find("srun: 2 tasks"), std::string::npos) << w.err;
  EXPECT_NE(w.err.find("rank 0 of 2, rendezvous at localhost:24242"), std::string::npos) << w.err;
}

// GPU nodes: one rank per GPU, srun starting them with the node's GPUs, each rank on cuda:SLURM_LOCALID (NCCL). The
// submitting machine (a login node; this one) has no GPU: only the spelling of runtime.device is checked there.
TEST(Slurm, GpusPerNodeRunsOneRankPerGpuOnEveryNode) {
  test::TempDir dir;
  auto r = test::run_remix_fixtures(
      {"slurm", config(dir), "runtime.device=cuda", "--nodes", "2", "--gpus-per-node", "4", "--cpus", "32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=4\n", "#SBATCH --cpus-per-task=8\n",
                           "#SBATCH --gpus-per-node=4\n",
                           " --launcher 'srun --nodes=2 --ntasks=8 --ntasks-per-node=4 --cpus-per-task=8 "
                           "--gpus-per-node=4 --kill-on-bad-exit=1'\n"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  EXPECT_EQ(r.out.find("--gpus-per-task"), std::string::npos) << r.out;
  // One node's GPUs: ranks started by srun too.
  r = test::run_remix_fixtures({"slurm", config(dir), "runtime.device=auto", "--gpus-per-node", "2", "--cpus", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("srun --nodes=1 --ntasks=2 --ntasks-per-node=2 --cpus-per-task=2 --gpus-per-node=2"),
            std::string::npos)
      << r.out;
}

TEST(Slurm, GpusPerNodeRefusesTrialsThatWouldNotUseTheirGpus) {
  test::TempDir dir;
  std::string cfg = config(dir);
  for (const auto& [device, expected] :
       {std::pair<std::string, std::string>{"cpu", "trial 'cluster' has runtime.device: cpu"},
        {"cuda:1", "trial 'cluster' has runtime.device: cuda:1"},
        {"gpu", "runtime.device: expected cpu, auto, cuda or cuda:N, got 'gpu'"}}) {
    auto r =
        test::run_remix_fixtures({"slurm", cfg, "runtime.device=" + device, "--gpus-per-node", "2", "--cpus", "4"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.db")));
}

// A sweep registered for GPU nodes, then a worker with local ranks on a machine that cannot give them: refused
// before any trial is claimed (it was one failed trial after another, each at its rendezvous).
TEST(Slurm, AWorkerWhoseRanksThisMachineCannotRunClaimsNothing) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  test::TempDir dir;
  auto r =
      test::run_remix_fixtures({"slurm", config(dir), "runtime.device=cuda", "--gpus-per-node", "2", "--cpus", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto w = test::run_remix_fixtures(
      {"worker", "--db", dir.file("r.db"), "--sweep", "cluster runtime.device=cuda", "--nproc", "2"});
  EXPECT_EQ(w.exit_code, 2) << w.err;
  EXPECT_NE(w.err.find("runtime.device: cuda asks for a GPU"), std::string::npos) << w.err;
  auto pending = store::query_readonly(dir.file("r.db"), "SELECT count(*) FROM runs WHERE status = 'pending'");
  EXPECT_EQ(std::get<std::int64_t>(pending.rows.at(0).at(0)), 1);
  // CPU trials this build has Gloo for pass the same check and run on their ranks.
  if (!train::data_parallel_available()) return;
  test::TempDir cpu;
  ASSERT_EQ(test::run_remix_fixtures({"slurm", config(cpu), "--cpus", "2"}).exit_code, 0);
  w = test::run_remix_fixtures({"worker", "--db", cpu.file("r.db"), "--sweep", "cluster", "--nproc", "2"});
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_NE(w.err.find("rank 0 of 2"), std::string::npos) << w.err;
}

TEST(Slurm, AWorkerLauncherThatIsNoProgramExitsTwoNamingIt) {
  test::TempDir dir;
  auto r = test::run_remix_fixtures(
      {"worker", "--db", dir.file("r.db"), "--sweep", "s", "--launcher", "no-such-srun --ntasks=2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--launcher: 'no-such-srun' is not a program on PATH"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.db")));
}

TEST(Slurm, BadOptionsExitTwoAndRecordNothing) {
  test::TempDir dir;
  std::string cfg = config(dir);
  for (std::vector<std::string> bad : {std::vector<std::string>{"--array", "0"},
                                       {"--time", "soon"},
                                       {"--gpus", "-1"},
                                       {"--partition", "a b"},
                                       {"--cpus", "2", "--nproc", "4"},  // 4 ranks on 2 cores
                                       {"--nodes", "2", "--jobs", "2"},  // a trial spans the task's nodes
                                       {"--nodes", "2", "--gpus", "1"},  // ranks across nodes: --gpus-per-node
                                       {"--gpus-per-node", "2", "--gpus", "1", "--cpus", "4"},
                                       {"--gpus-per-node", "2", "--nproc", "3", "--cpus", "8"},  // one rank per GPU
                                       {"--gpus-per-node", "2", "--jobs", "2", "--cpus", "8"},
                                       {"--nodes", "0"},
                                       {"tasks.add.nope=1"}}) {
    std::vector<std::string> args = {"slurm", cfg};
    args.insert(args.end(), bad.begin(), bad.end());
    auto r = test::run_remix_fixtures(args);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << "\n" << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.db")));
}

}  // namespace
}  // namespace remix
