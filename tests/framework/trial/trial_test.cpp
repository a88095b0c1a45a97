// Whole trials through the `remix` binary with the real plugins and a tiny model: the loss falls, evaluation is
// recorded, ReMix's applied-weight ESS is exactly k at every step; two runs with one seed are identical; the
// trainer's bad inputs exit 2 with a message naming the key or file; a trial builds exactly one router per routing
// site and nothing else; a device this build cannot use is refused before anything is recorded.
// trial_resume_test.cpp: interrupted trials, checkpoints and the base cache.
#include <gtest/gtest.h>

#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>

#include "store/query.h"
#include "support/test_env.h"
#include "support/tiny_trial.h"

namespace remix {
namespace {

namespace fs = std::filesystem;
using test::base_sha;
using test::status_of;
using test::tiny_config;
using test::trial_metrics;

TEST(Trial, TinyRunLearnsRecordsEvalAndKeepsReMixEssAtK) {
  test::TempDir dir;
  auto r = test::run_remix({"run", tiny_config(dir, dir.file("cache"))});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(status_of(dir.file("r.db")), "completed");
  auto m = trial_metrics(dir.file("r.db"));
  const auto& loss = m["train/loss"];
  ASSERT_EQ(loss.size(), 40u);
  double first = 0, last = 0;
  for (int s = 1; s <= 5; ++s) first += loss.at(s) / 5;
  for (int s = 36; s <= 40; ++s) last += loss.at(s) / 5;
  EXPECT_LT(last, first * 0.93) << "loss did not fall: " << first << " -> " << last;
  for (std::int64_t s = 1; s <= 40; ++s) {
    EXPECT_EQ(m["routing/ess_mean"].at(s), 2.0) << "step " << s;
    EXPECT_EQ(m["routing/ess_worst"].at(s), 2.0) << "step " << s;
  }
  for (std::int64_t s : {0, 20, 40}) EXPECT_TRUE(m["eval/math/exact_match"].count(s)) << "no eval at step " << s;
  EXPECT_TRUE(m.count("final/math/exact_match"));
  EXPECT_TRUE(m.count("eval/math/loss"));
  EXPECT_TRUE(m.count("train/advantage_var"));
  // Compute, cumulative: each step adds its tokens twice (M = 2 replicas of every sequence), and work for them.
  for (std::int64_t s = 2; s <= 40; ++s) {
    const double step_tokens = m["compute/tokens"].at(s) - m["compute/tokens"].at(s - 1);
    EXPECT_GT(step_tokens, 0) << s;
    EXPECT_EQ(std::fmod(step_tokens, 2.0), 0.0) << s;
    EXPECT_GT(m["compute/flops"].at(s), m["compute/flops"].at(s - 1)) << s;
  }
  auto tags = store::query_readonly(dir.file("r.db"), "SELECT count(*) FROM tags WHERE key IN ('plugin.router.sha256', "
                                                      "'plugin.tasks.math.path', 'base.sha256', 'remix.git_rev', "
                                                      "'cpu.model', 'cpu.id', 'cpu.features', 'blas', "
                                                      "'blas.core', 'blas.threading', 'openmp.spincount')");
  EXPECT_EQ(std::get<std::int64_t>(tags.rows[0][0]), 11);
  auto pre = store::query_readonly(dir.file("r.db"), "SELECT status FROM runs WHERE kind = 'pretrain'");
  ASSERT_EQ(pre.rows.size(), 1u);  // the base model's pretraining is a run of its own
  EXPECT_EQ(std::get<std::string>(pre.rows[0][0]), "completed");
}


// Every evaluation records each example's score and answer loss; their mean is the metric it recorded (what paired
// comparisons use). A validation split is evaluated beside it, and `results --select-by` chooses on it.
TEST(Trial, PerExampleOutcomesAverageToTheRecordedMetric) {
  test::TempDir dir, cache;
  const std::vector<std::string> common = {"run", tiny_config(dir, cache.path()), "train.steps=4", "train.eval_every=2",
                                           "eval.validation=8"};
  ASSERT_EQ(test::run_remix(common).exit_code, 0);
  auto rows = store::query_readonly(dir.file("r.db"),
                                    "SELECT o.metric, o.step, avg(o.score), count(*), m.value FROM "
                                    "eval_outcomes o JOIN metrics m ON m.run_id = o.run_id AND "
                                    "m.key = o.metric AND m.step = o.step GROUP BY o.metric, o.step");
  ASSERT_EQ(rows.rows.size(), 6u);  // math/exact_match and math/loss at steps 0, 2 and 4
  for (const auto& r : rows.rows) {
    auto metric = std::get<std::string>(r[0]);
    EXPECT_TRUE(metric == "eval/math/exact_match" || metric == "eval/math/loss") << metric;
    EXPECT_EQ(std::get<std::int64_t>(r[3]), 8);  // eval.max_examples
    EXPECT_NEAR(std::get<double>(r[2]), std::get<double>(r[4]), 1e-9)
        << metric << " step " << std::get<std::int64_t>(r[1]);
  }
  auto m = trial_metrics(dir.file("r.db"));
  for (const auto* key : {"val/math/exact_match", "val/math/loss", "final/math/loss"}) EXPECT_TRUE(m.count(key)) << key;
  EXPECT_EQ(m["val/math/loss"].size(), 3u);
  EXPECT_NE(m["val/math/loss"].at(4), m["eval/math/loss"].at(4));  // other examples
  // Three more trials in the same database: `remix results --against` pairs them by seed and example.
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"router.plugin=softmax"}, {"seed=1"}, {"router.plugin=softmax", "seed=1"}}) {
    std::vector<std::string> args = common;
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_EQ(test::run_remix(args).exit_code, 0);
  }
  auto r = test::run_remix({"results", dir.file("r.db"), "--against", "router.plugin=softmax", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("remix,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("final/math/exact_match"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",2,0,16,"), std::string::npos) << r.out;  // 2 seeds paired, none unpaired, 16 examples
  r = test::run_remix({"results", dir.file("r.db"), "--select-by", "val/loss", "--select-over", "router.plugin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("router.plugin chosen on val/loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(n=2) *"), std::string::npos) << r.out;
  r = test::run_remix(
      {"results", dir.file("r.db"), "--select-over", "router.plugin"});  // says what to choose over, not by what
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--select-by"), std::string::npos) << r.err;
  r = test::run_remix({"report", dir.file("r.db"), "--select-by", "val/loss", "--select-over", "router.plugin", "-o",
             dir.file("r.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::read_file(dir.file("r.html")).find("router.plugin chosen on val/loss"), std::string::npos);
}


TEST(Trial, SameSeedGivesIdenticalMetrics) {
  test::TempDir a, b, cache;
  ASSERT_EQ(test::run_remix({"run", tiny_config(a, cache.path())}).exit_code, 0);
  ASSERT_EQ(test::run_remix({"run", tiny_config(b, cache.path())}).exit_code, 0);
  EXPECT_EQ(trial_metrics(a.file("r.db")), trial_metrics(b.file("r.db")));
}

// train.adam_eps reaches AdamW: an epsilon of 1 (far above every gradient entry) shrinks each step to ~lr·|g|, so the
// training loss moves less from its first value than with the default 1e-8.
TEST(Trial, AdamsEpsilonReachesTheOptimizer) {
  test::TempDir a, b, cache;
  ASSERT_EQ(test::run_remix({"run", tiny_config(a, cache.path())}).exit_code, 0);
  ASSERT_EQ(test::run_remix({"run", tiny_config(b, cache.path()), "train.adam_eps=1"}).exit_code, 0);
  auto loss = trial_metrics(a.file("r.db"))["train/loss"], damped = trial_metrics(b.file("r.db"))["train/loss"];
  ASSERT_EQ(loss.size(), damped.size());
  ASSERT_GT(loss.size(), 2u);
  auto first = [](const std::map<std::int64_t, double>& by_step) { return by_step.begin()->second; };
  auto last = [](const std::map<std::int64_t, double>& by_step) { return by_step.rbegin()->second; };
  EXPECT_EQ(first(loss), first(damped));  // the first step's loss comes before any update
  EXPECT_LT(std::abs(last(damped) - first(damped)), std::abs(last(loss) - first(loss)));
}

TEST(Trial, EvaluationDoesNotChangeTraining) {
  // ReMix sampling at evaluation draws random numbers; training must draw the same ones however often it
  // evaluates. Evaluating every 10 steps or only at the end: the same training losses at every step.
  test::TempDir a, b, cache;
  ASSERT_EQ(test::run_remix({"run", tiny_config(a, cache.path()), "router.inference=sample", "train.eval_every=10"})
                .exit_code,
            0);
  ASSERT_EQ(
      test::run_remix({"run", tiny_config(b, cache.path()), "router.inference=sample", "train.eval_every=0"}).exit_code,
      0);
  auto loss_a = trial_metrics(a.file("r.db"))["train/loss"], loss_b = trial_metrics(b.file("r.db"))["train/loss"];
  ASSERT_EQ(loss_a.size(), 40u);
  EXPECT_EQ(loss_a, loss_b);
}




TEST(Trial, BadTrainingInputExitsTwoNamingTheKey) {
  test::TempDir dir, cache;
  std::string config = tiny_config(dir, cache.path());
  struct Case {
    std::vector<std::string> overrides;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{"tasks.math.weight=0"}, "tasks: every task's weight is 0 (tasks.math.weight = 0)"},
      {{"model.max_seq_len=32"}, "more than model.max_seq_len = 32"},
      {{"train.samples=1"}, "train.samples: the RLOO estimator needs at least 2 routing samples"},
      {{"train.estimator=rloo-shuffled", "train.batch_size=1"}, "train.batch_size: the rloo-shuffled control moves"},
      // Settings the chosen path never reads: refused, not recorded in the trial key to do nothing.
      {{"train.ivon.beta2=0.999"}, "train.ivon.beta2: set, but train.optimizer is adamw"},
      {{"train.precision_examples=64"}, "train.precision_examples: set, but train.precision is none"},
      {{"train.optimizer=ivon", "train.adam_eps=1e-6"}, "train.adam_eps: set, but train.optimizer is ivon"},
      {{"train.adam_eps=0"}, "train.adam_eps"},
      {{"train.credit=to-go", "router.plugin=softmax"}, "train.credit: to-go is how a policy-gradient router's"},
      {{"train.credit=to-go", "train.estimator=reinforce"}, "train.credit: to-go works with train.estimator: rloo"},
      {{"train.credit=to-go", "router.granularity=sequence"}, "gives no per-token log-probability"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", config};
    args.insert(args.end(), c.overrides.begin(), c.overrides.end());
    auto r = test::run_remix(args);
    EXPECT_EQ(r.exit_code, 2) << c.expected << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
  }
  // The training settings are refused before anything is recorded (the to-go pairing too: it was refused at the first
  // step, after the base); what needs the tasks built is refused by the trial, which records it as failed.
  auto started = store::query_readonly(dir.file("r.db"), "SELECT coalesce(error, '') FROM runs WHERE kind = "
                                                         "'trial' AND status != 'pending'");
  for (const auto& row : started.rows) {
    auto error = std::get<std::string>(row.at(0));
    EXPECT_TRUE(error.find("tasks.math") != std::string::npos) << "recorded: " << error;
  }
}




// Bugs this guards against: throwaway "probe" routers built to ask what a router is (one drew from the random
// generator before the base model existed). A counting plugin logs every router it makes.
TEST(Trial, MakesExactlyOneRouterPerRoutingSite) {
  test::TempDir dir, cache;
  std::string log = dir.file("routers.log");
  auto r = test::run_remix({"--plugin-path", test::test_plugin_dir(), "run", tiny_config(dir, cache.path()),
                  "router.plugin=counting_router", "+router.log=" + log, "train.steps=2", "train.eval_every=0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(log), "layers.0.ffn\nlayers.1.ffn\n");  // 2 layers, gate/up/down share a site
}

TEST(Trial, ADeviceThisBuildCannotUseIsRefusedBeforeAnythingIsRecorded) {
  test::TempDir dir, cache;
  // What is missing is named, most basic first: a CUDA build of LibTorch, a device, that device.
  const bool cuda_build = c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA);
  const auto gpus = cuda_build ? torch::cuda::device_count() : 0;
  auto missing = [&](const std::string& device) -> std::string {
    if (!cuda_build) return "runtime.device: " + device + " asks for a GPU, but this build's LibTorch has no CUDA";
    return "but this machine has " + std::to_string(gpus) + " CUDA device";
  };
  for (std::string device : {"cuda", "cuda:0", "cuda:7"}) {
    if (gpus > 0 && device != "cuda:7") continue;  // a device this machine has: ATinyTrialRunsOnCuda
    auto r = test::run_remix({"run", tiny_config(dir, cache.path()), "runtime.device=" + device});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(missing(device)), std::string::npos) << r.err;
  }
  auto r = test::run_remix({"run", tiny_config(dir, cache.path()), "runtime.device=tpu"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("runtime.device: expected cpu, auto, cuda or cuda:N, got 'tpu'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("r.db")));
  if (torch::cuda::is_available()) return;  // then auto means the GPU
  ASSERT_EQ(test::run_remix({"run", tiny_config(dir, cache.path()), "runtime.device=auto", "train.steps=2"}).exit_code,
            0);
  EXPECT_EQ(std::get<std::string>(store::query_readonly(dir.file("r.db"), "SELECT value FROM tags WHERE key = "
                                                                           "'runtime.device'").rows.at(0).at(0)),
            "cpu");
}

// The step's losses are read back only at log steps (a GPU step never waits for the host), so a non-finite loss is
// found there: the trial fails naming the first such step, and nothing trained after it is recorded or checkpointed.
TEST(Trial, ANonFiniteLossFailsTheTrialNamingItsStepAndRecordsNothingAfterIt) {
  test::TempDir dir, cache;
  auto r = test::run_remix({"--plugin-path", test::test_plugin_dir(), "run", tiny_config(dir, cache.path()),
                  "router.plugin=counting_router", "+router.nan_after=3", "train.log_every=5", "train.eval_every=0",
                  "train.checkpoint_every=2"});
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_EQ(status_of(dir.file("r.db")), "failed");
  auto error = std::get<std::string>(
      store::query_readonly(dir.file("r.db"), "SELECT error FROM runs WHERE kind = 'trial'").rows.at(0).at(0));
  static const std::regex step_re("loss is not finite at step (\\d+)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(error, m, step_re)) << error;
  const auto bad = std::stol(m[1]);
  EXPECT_EQ(bad, 3);  // found at the checkpoint after it (step 4), named as it was
  auto metrics = trial_metrics(dir.file("r.db"));
  EXPECT_EQ(metrics["train/loss"].size(), 0u);  // the first log step (5) never came
  for (const auto& [key, steps] : metrics)
    for (const auto& [step, value] : steps) EXPECT_LE(step, bad) << key << " recorded at step " << step;
  // Checkpoints only of steps before the bad one (checkpoint-2 is kept, checkpoint-4 was never written).
  if (fs::exists(dir.file("runs")))
    for (const auto& e : fs::recursive_directory_iterator(dir.file("runs"))) {
      static const std::regex ckpt_re("checkpoint-0*(\\d+)");
      auto name = e.path().filename().string();
      if (std::regex_search(name, m, ckpt_re)) EXPECT_LE(std::stol(m[1]), bad) << name;
    }
}

// A whole tiny trial on a GPU: completes, records the device, learns, and matches the CPU run's first losses.
TEST(Trial, ATinyTrialRunsOnCudaAndMatchesTheCpuRun) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (this build or machine has none)";
  test::TempDir gpu, cpu, cache;
  ASSERT_EQ(test::run_remix({"run", tiny_config(gpu, cache.path()), "runtime.device=cuda"}).exit_code, 0);
  ASSERT_EQ(test::run_remix({"run", tiny_config(cpu, cache.path())}).exit_code, 0);
  EXPECT_EQ(std::get<std::string>(store::query_readonly(gpu.file("r.db"), "SELECT value FROM tags WHERE key = "
                                                                           "'runtime.device'").rows.at(0).at(0)),
            "cuda:0");
  auto g = trial_metrics(gpu.file("r.db")), c = trial_metrics(cpu.file("r.db"));
  EXPECT_LT(g["train/loss"].rbegin()->second, g["train/loss"].begin()->second);
  for (std::int64_t step : {1, 2, 3}) EXPECT_NEAR(g["train/loss"][step], c["train/loss"][step], 1e-3) << step;
}



}  // namespace
}  // namespace remix
