// Benchmark: scaling of one trial from 1 to 2 data-parallel ranks (c10d Gloo over loopback) on this machine, through
// the remix binary. The same trial (the quickstart's model size and batch, its own small base pretrained here first,
// ReMix M = 4 and the softmax router) runs with `--nproc 1` and `--nproc 2`; printed per router: training tokens/s
// (the trainer's own figure, the mean over log steps, evaluation excluded), the whole trial's wall time, and the
// 2-rank / 1-rank ratios (the base is pretrained before anything is timed). On a machine with C cores each rank
// computes on C/2 of them, so the ratio says what splitting the batch across processes costs or gains against one
// process using every core for its products.
//   build/tests/bench/bench_data_parallel [train steps, default 60]
#include <cstdio>
#include <string>

#include "common/library_environment.h"
#include "common/machine.h"
#include "store/query.h"
#include "store/sql_value.h"
#include "support/test_env.h"

namespace {

using namespace remix;

double scalar(const std::string& db, const std::string& sql) {
  auto rows = store::query_readonly(db, sql);
  return rows.rows.empty() ? -1 : store::as_double(rows.rows.at(0).at(0));
}

}  // namespace

int main(int argc, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  std::printf("%s\n", remix::machine::summary().c_str());
  int steps = argc > 1 ? std::stoi(argv[1]) : 60;
  test::TempDir dir;
  std::printf("bench_data_parallel: one trial of %d steps (batch 16, quickstart model), 1 rank vs 2 ranks\n", steps);
  std::printf("%-8s %6s %12s %10s\n", "router", "ranks", "train tok/s", "trial s");
  std::fflush(stdout);
  auto config_for = [&](const std::string& router, const std::string& db, int train_steps) {
    return dir.write("bench.yaml", "experiment: {name: bench, db: " + db + ", output_dir: " + dir.file("runs") + "}\n"
                                   "base: {cache_dir: " + dir.file("cache") + ", pretrain: {steps: 200}}\n"
                                   "router: {plugin: " + router + "}\n"
                                   "tasks: {math: {}, code: {}, knowledge: {}}\n"
                                   "train: {steps: " + std::to_string(train_steps) +
                                   ", eval_every: 0, checkpoint_every: 0, log_every: 10}\n"
                                   "eval: {max_examples: 20}\n");
  };
  auto run = [&](const std::string& config, int ranks) {
    auto r = test::run_command({test::remix_bin(), "run", config, "--nproc", std::to_string(ranks)});
    if (r.exit_code != 0)
      std::fprintf(stderr, "remix run --nproc %d failed (%d):\n%s\n", ranks, r.exit_code, r.err.c_str());
    return r.exit_code == 0;
  };
  // The base is pretrained once, before anything is timed.
  if (!run(config_for("softmax", dir.file("warmup.db"), 1), 1)) return 1;
  for (std::string router : {"remix", "softmax"}) {
    double tokens[3] = {0, 0, 0}, wall[3] = {0, 0, 0};
    for (int ranks : {1, 2}) {
      std::string db = dir.file(router + std::to_string(ranks) + ".db");
      if (!run(config_for(router, db, steps), ranks)) return 1;
      tokens[ranks] = scalar(db, "SELECT avg(value) FROM metrics WHERE key = 'train/tokens_per_s'");
      wall[ranks] = scalar(db, "SELECT ended_at - started_at FROM runs WHERE kind = 'trial'");
      std::printf("%-8s %6d %12.0f %10.1f\n", router.c_str(), ranks, tokens[ranks], wall[ranks]);
      std::fflush(stdout);
    }
    std::printf("%-8s 2 ranks / 1 rank: training tokens/s x%.2f, trial wall time x%.2f\n", router.c_str(),
                tokens[2] / tokens[1], wall[2] / wall[1]);
  }
  return 0;
}
