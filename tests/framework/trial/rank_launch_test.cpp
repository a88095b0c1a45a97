// Data-parallel trials end to end, with real processes: `remix run --nproc 2` (rank 0 starts rank 1; c10d Gloo over
// loopback) trains the same trial as one process at the same global batch — adapters and routers within float
// tolerance after several steps, for the softmax router and for ReMix (RLOO advantages from the whole batch, keyed
// routing noise; credited by position too), and the recorded losses, gradient norms and evaluation metrics agree. A rank killed mid-trial
// stops the other within the timeout, naming it; the run is left interrupted and resumes on the next `remix run`.
// Bad placements from the environment are refused naming the variable.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include "remix/errors.h"
#include "store/query.h"
#include "support/test_env.h"
#include "train/data_parallel.h"
#include "train/trial_checkpoint.h"
#include "trial/rank_launch.h"

namespace remix {
namespace {

#define SKIP_WITHOUT_GLOO() \
  if (!train::data_parallel_available()) GTEST_SKIP() << "this build has no c10d Gloo backend (libgloo-dev)"

// A tiny trial on the built-in math task: 2 layers so gradients cross blocks, batch 4 = 2 ranks x 2 examples.
// AdamW's epsilon is 1e-4 here, not 1e-8: a gradient entry at rounding level (an exact zero computed in another
// order) would otherwise move its weight by up to lr on one side and not the other, and the runs part ways
// (seen with OpenBLAS's Haswell and Zen kernels on an AMD EPYC: weights apart by 2 lr, the routing after them).
std::string experiment(const test::TempDir& dir, const std::string& cache, const std::string& router,
                       const std::string& extra = "") {
  return dir.write("exp.yaml",
                   "experiment: {name: dp, db: " + dir.file("r.db") + ", output_dir: " + dir.file("runs") + "}\n"
                   "base: {cache_dir: " + cache + ", pretrain: {steps: 3, batch_size: 4, warmup_steps: 1}}\n"
                   "model: {dim: 16, n_layers: 2, n_heads: 2, n_kv_heads: 2, ffn_dim: 32}\n"
                   "adapter: {r: 2, num_experts: 3, top_k: 2}\n"
                   "router: " + router + "\n"
                   "tasks: {math: {n_train: 32, n_eval: 6}}\n"
                   "train: {steps: 6, batch_size: 4, samples: 3, log_every: 1, eval_every: 3, checkpoint_every: 3,"
                   " warmup_steps: 0, lr: 0.03, adam_eps: 1.0e-4}\n"
                   "eval: {max_examples: 6, max_new_tokens: 4, batch_size: 4}\n" + extra);
}

std::map<std::string, double> metrics(const std::string& db) {
  std::map<std::string, double> out;
  for (const auto& r : store::query_readonly(db, "SELECT m.key, m.step, m.value FROM metrics m JOIN runs r ON "
                                                 "r.id = m.run_id WHERE r.kind = 'trial'").rows)
    out[std::get<std::string>(r[0]) + "@" + std::to_string(std::get<std::int64_t>(r[1]))] = std::get<double>(r[2]);
  return out;
}

train::StoredTensors final_checkpoint(const std::string& db) {
  auto rows = store::query_readonly(db, "SELECT a.path FROM artifacts a JOIN runs r ON r.id = a.run_id WHERE "
                                        "r.kind = 'trial' AND a.kind = 'checkpoint'").rows;
  if (rows.size() != 1) throw std::runtime_error("expected one checkpoint in " + db);
  return train::read_stored_tensors(std::get<std::string>(rows[0][0]));
}

void expect_same_training(const std::string& router, const std::vector<std::string>& overrides = {}) {
  test::TempDir one, two, cache;
  std::vector<std::string> single_args = {test::remix_bin(), "run", experiment(one, cache.file("base"), router)};
  std::vector<std::string> ranked_args = {test::remix_bin(), "run", experiment(two, cache.file("base"), router),
                                          "--nproc", "2"};
  single_args.insert(single_args.end(), overrides.begin(), overrides.end());
  ranked_args.insert(ranked_args.end(), overrides.begin(), overrides.end());
  auto single = test::run_command(single_args);
  ASSERT_EQ(single.exit_code, 0) << single.err;
  auto ranked = test::run_command(ranked_args);
  ASSERT_EQ(ranked.exit_code, 0) << ranked.err;
  EXPECT_NE(ranked.err.find("rank 0 of 2"), std::string::npos) << ranked.err;

  auto a = final_checkpoint(one.file("r.db")), b = final_checkpoint(two.file("r.db"));
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  std::size_t routers = 0;
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    ASSERT_EQ(a.tensors[i].first, b.tensors[i].first);
    bool router = a.tensors[i].first.find("router") != std::string::npos;
    routers += router;
    // A policy-gradient router's advantages are differences of nearly equal losses (5.38 against 5.40 here), so the
    // rounding of a half-batch forward against a whole-batch one reaches them ~300x amplified: its weights agree to
    // 1e-4 (0.3 % of lr over the 6 steps), where a wrong gather or average would move them by ~lr.
    EXPECT_TRUE(torch::allclose(a.tensors[i].second, b.tensors[i].second, 1e-4, router ? 1e-4 : 1e-5))
        << a.tensors[i].first << " differs by "
        << (a.tensors[i].second - b.tensors[i].second).abs().max().item<double>();
  }
  EXPECT_GT(routers, 0u);  // the routers trained too, and agree
  auto ma = metrics(one.file("r.db")), mb = metrics(two.file("r.db"));
  for (const auto& [key, value] : ma) {
    // Throughput differs; training-time routing diagnostics are rank 0's share of the batch (documented).
    if (key.rfind("train/tokens_per_s", 0) == 0 || key.rfind("compute/seconds", 0) == 0 ||
        key.rfind("routing/", 0) == 0)
      continue;
    ASSERT_TRUE(mb.count(key)) << key;
    // The router's surrogate loss is a sum of advantages (the cancellation above): agreed to 5e-4 of its ~6e-3.
    double slack = key.rfind("train/router_loss", 0) == 0 ? 5e-4 : 1e-4;
    EXPECT_NEAR(mb.at(key), value, slack + 1e-4 * std::abs(value)) << key;
  }
  EXPECT_TRUE(ma.count("train/loss@6") && ma.count("eval/math/exact_match@6"));
  auto backend = store::query_readonly(two.file("r.db"), "SELECT value FROM tags WHERE key = 'runtime.c10d_backend'");
  ASSERT_EQ(backend.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(backend.rows[0][0]), "gloo");
}

TEST(DataParallelTrial, TwoRanksTrainTheSoftmaxRouterAsOneProcess) {
  SKIP_WITHOUT_GLOO();
  // The load-balancing loss is computed per rank (as distributed MoE training does), which is not the global
  // batch's: off here, so the equality is exact; with it on the ranks' results differ slightly.
  expect_same_training("{plugin: softmax, router_aux_loss_coef: 0}");
}

TEST(DataParallelTrial, TwoRanksTrainReMixAsOneProcess) {
  SKIP_WITHOUT_GLOO();
  expect_same_training("{plugin: remix}");
}

// Credit by position needs no gather: every replica of an example is on its rank, with its per-token losses.
TEST(DataParallelTrial, TwoRanksTrainReMixCreditedToGoAsOneProcess) {
  SKIP_WITHOUT_GLOO();
  expect_same_training("{plugin: remix}", {"train.credit=to-go"});
}

TEST(DataParallelTrial, ABatchTheRanksCannotShareIsRefusedNamingTheKey) {
  SKIP_WITHOUT_GLOO();
  test::TempDir dir, cache;
  auto r = test::run_command({test::remix_bin(), "run", experiment(dir, cache.file("base"), "{plugin: remix}"),
                              "train.batch_size=5", "--nproc", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("train.batch_size: 5 examples cannot be shared evenly by 2"), std::string::npos) << r.err;
}

// Ranks a build cannot run for the trial's device are refused when the sweep is planned, naming the trial and what
// is missing: a CPU trial in a build without Gloo (the 2.x build: the backend check in `remix run`), a GPU trial
// without a CUDA build (the Debian build: there the device check refuses it first, so the backend check is
// exercised only where Gloo is missing; `Slurm.AWorkerWhoseRanksThisMachineCannotRunClaimsNothing` covers the
// worker's).
TEST(DataParallelTrial, RanksThisBuildCannotRunForTheDeviceAreRefusedBeforeAnythingIsRecorded) {
  test::TempDir dir, cache;
  std::string device = train::data_parallel_available("cpu") ? "cuda" : "cpu";
  if (device == "cuda" && torch::cuda::is_available()) GTEST_SKIP() << "this build has Gloo and a GPU: nothing to refuse";
  auto r = test::run_command({test::remix_bin(), "run", experiment(dir, cache.file("base"), "{plugin: remix}"),
                              "runtime.device=" + device, "--nproc", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(device == "cpu" ? "--nproc 2 (trial 'dp') asks for data parallelism, but this build of remix "
                                         "has no c10d backend for CPU ranks"
                                       : "runtime.device: cuda asks for a GPU"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.db")));
}

// The pid of the process whose environment says RANK=<rank> and whose command line runs `remix trial` on `db`
// (other tests may have ranks running at the same time).
int pid_of_rank(int rank, const std::string& db) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = test::read_file("/proc/" + name + "/cmdline");
    auto environ = std::string(1, '\0') + test::read_file("/proc/" + name + "/environ");
    const std::string variable = std::string(1, '\0') + "RANK=" + std::to_string(rank) + '\0';  // not LOCAL_RANK
    if (cmdline.find(std::string("trial") + '\0') != std::string::npos && cmdline.find(db) != std::string::npos &&
        environ.find(variable) != std::string::npos)
      return std::stoi(name);
  }
  return -1;
}

TEST(DataParallelTrial, AKilledRankStopsTheOtherNamingItAndTheTrialResumes) {
  SKIP_WITHOUT_GLOO();
  test::TempDir dir, cache;
  auto config = experiment(dir, cache.file("base"), "{plugin: remix}",
                           "runtime: {dist_timeout: 60}\n");
  std::vector<std::string> command{test::remix_bin(), "run", config, "train.steps=400", "train.eval_every=0",
                                   "train.checkpoint_every=5", "--nproc", "2"};
  {
    test::ChildProcess run(command, /*merge_stderr=*/true, /*own_group=*/true);
    bool killed = false;
    std::string seen;
    while (auto line = run.read_line()) {
      seen += *line + "\n";
      if (!killed && line->find("train step 12/400") != std::string::npos) {
        int pid = pid_of_rank(1, dir.file("r.db"));
        ASSERT_GT(pid, 0) << "no rank-1 process found";
        ::kill(pid, SIGKILL);
        killed = true;
      }
    }
    ASSERT_TRUE(killed) << seen;
    EXPECT_NE(run.wait(), 0);
    EXPECT_NE(seen.find("rank 1 of 2 stopped"), std::string::npos) << seen;
    EXPECT_NE(seen.find("rank 1 (pid"), std::string::npos) << seen;
    EXPECT_NE(seen.find("killed by signal 9"), std::string::npos) << seen;
  }
  auto rows = store::query_readonly(dir.file("r.db"), "SELECT status, error FROM runs WHERE kind = 'trial'").rows;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(rows[0][0]), "interrupted");
  EXPECT_NE(std::get<std::string>(rows[0][1]).find("rank 1 of 2 stopped"), std::string::npos);

  auto again = test::run_command(command);  // the same trial: resumed from its step-10 checkpoint on 2 ranks
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming from"), std::string::npos) << again.err;
  rows = store::query_readonly(dir.file("r.db"), "SELECT status, attempt FROM runs WHERE kind = 'trial'").rows;
  EXPECT_EQ(std::get<std::string>(rows[0][0]), "completed");
  EXPECT_EQ(std::get<std::int64_t>(rows[0][1]), 2);
}

TEST(RankPlacement, TorchrunAndSlurmVariablesPlaceTheProcessAndBadOnesAreNamed) {
  test::ScopedEnv restored({{"RANK", std::nullopt}, {"WORLD_SIZE", std::nullopt}, {"LOCAL_RANK", std::nullopt},
                            {"MASTER_ADDR", std::nullopt}, {"MASTER_PORT", std::nullopt},
                            {"SLURM_PROCID", std::nullopt}, {"SLURM_NTASKS", std::nullopt},
                            {"SLURM_LOCALID", std::nullopt}});
  auto with = [](std::map<std::string, std::string> vars, int nproc) {
    for (const char* v : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
                          "SLURM_NTASKS", "SLURM_LOCALID"})
      unsetenv(v);
    for (const auto& [k, v] : vars) setenv(k.c_str(), v.c_str(), 1);
    return trial::rank_placement(nproc);
  };
  auto p = with({{"RANK", "1"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "10.0.0.2"},
                 {"MASTER_PORT", "29400"}}, 1);
  EXPECT_EQ(p.rank, 1);
  EXPECT_EQ(p.world_size, 4);
  EXPECT_EQ(p.master_addr, "10.0.0.2");
  EXPECT_EQ(p.master_port, 29400);
  EXPECT_FALSE(p.starts_local_ranks);
  p = with({{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"MASTER_ADDR", "node1"},
            {"MASTER_PORT", "29500"}}, 1);
  EXPECT_EQ(p.rank, 3);
  EXPECT_EQ(p.world_size, 8);
  EXPECT_EQ(p.local_rank, 1);
  p = with({}, 3);
  EXPECT_EQ(p.rank, 0);
  EXPECT_EQ(p.world_size, 3);
  EXPECT_TRUE(p.starts_local_ranks);
  EXPECT_GT(p.master_port, 0);
  EXPECT_EQ(with({}, 1).world_size, 1);

  auto refused = [&](std::map<std::string, std::string> vars, int nproc) {
    return test::error_message<UserError>([&] { with(vars, nproc); });
  };
  EXPECT_NE(refused({{"RANK", "4"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}, 1)
                .find("RANK=4 is not below WORLD_SIZE=4"), std::string::npos);
  EXPECT_NE(refused({{"RANK", "1"}, {"WORLD_SIZE", "2"}}, 1).find("needs MASTER_ADDR and MASTER_PORT"),
            std::string::npos);
  EXPECT_NE(refused({{"RANK", "x"}, {"WORLD_SIZE", "2"}}, 1).find("RANK=x"), std::string::npos);
  EXPECT_NE(refused({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}}, 1)
                .find("MASTER_PORT=70000: expected a whole number from 1 to 65535"), std::string::npos);
  EXPECT_NE(refused({{"MASTER_PORT", "0"}}, 2).find("MASTER_PORT=0"), std::string::npos);
  EXPECT_NE(refused({{"WORLD_SIZE", "2"}}, 1).find("RANK is not"), std::string::npos);
  EXPECT_NE(refused({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}, 2)
                .find("--nproc 2"), std::string::npos);
}

}  // namespace
}  // namespace remix
