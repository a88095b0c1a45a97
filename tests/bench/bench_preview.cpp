// Benchmark: what a multitask preview saves. In one run, on the quickstart's model size (its own small base,
// pretrained here), two per-task LoRA runs (math alone, code alone) and one real multitask trial at math = code
// = 0.5 are trained through the remix binary; then `remix preview` merges the two per-task runs at the same
// weighting (arithmetic) and evaluates the merge on the same eval sets. Printed: the real trial's time, the
// preview's (merge + evaluation), their ratio, and both accuracies at that weighting.
//   build/tests/bench/bench_preview [train steps, default 300]
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

int run(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {test::remix_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = test::run_command(argv);
  if (r.exit_code != 0) std::fprintf(stderr, "%s failed (%d):\n%s\n", args[0].c_str(), r.exit_code, r.err.c_str());
  return r.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  std::printf("%s\n", remix::machine::summary().c_str());
  int steps = argc > 1 ? std::stoi(argv[1]) : 300;
  test::TempDir dir;
  std::string db = dir.file("bench.db");
  auto config = dir.write("bench.yaml", "experiment: {name: bench, db: " + db + ", output_dir: " + dir.file("runs") +
                                            "}\n"
                                            "base: {cache_dir: " + dir.file("cache") + ", pretrain: {steps: 300}}\n"
                                            "router: {plugin: lora}\n"
                                            "adapter: {num_experts: 1, top_k: 1, r: 8}\n"
                                            "tasks: {math: {}, code: {}}\n"
                                            "train: {lr: 0.01, steps: " + std::to_string(steps) + ", eval_every: " +
                                            std::to_string(steps) + "}\n"
                                            "eval: {max_examples: 60}\n"
                                            "sweep: {parameters: {w: {simplex: [math, code], points: [[1, 0], [0, 1], "
                                            "[1, 1]]}}}\n");
  std::printf("bench_preview: 2 per-task runs + 1 real multitask trial of %d steps (LoRA r = 8), then one preview\n", steps);
  std::fflush(stdout);
  if (run({"run", config}) != 0) return 1;
  if (run({"preview", db, "--tasks-from", "bench", "--weights", "math=0.5,code=0.5", "--rules", "arithmetic"}) != 0)
    return 1;
  const std::string real_run = "(SELECT id FROM runs WHERE kind = 'trial' AND name LIKE '%code=0.5%')";
  const std::string preview_run = "(SELECT id FROM runs WHERE kind = 'preview')";
  double real_s = scalar(db, "SELECT ended_at - started_at FROM runs WHERE id = " + real_run);
  double preview_s = scalar(db, "SELECT value FROM latest_metrics WHERE key = 'preview/seconds' AND run_id = " + preview_run);
  double merge_s = scalar(db, "SELECT value FROM latest_metrics WHERE key = 'preview/merge_seconds' AND run_id = " + preview_run);
  std::printf("real multitask trial (train + eval):  %8.1f s\n", real_s);
  std::printf("preview (merge %.0f ms + eval):         %8.1f s\n", merge_s * 1000, preview_s);
  std::printf("speedup of a preview over a real trial: %.1fx\n", real_s / preview_s);
  for (const std::string metric : {"math/exact_match", "code/pass@1"}) {
    auto key = "'final/" + metric + "'";
    std::printf("%-16s at math = code = 0.5: real %.3f, preview %.3f\n", metric.c_str(),
                scalar(db, "SELECT value FROM latest_metrics WHERE key = " + key + " AND run_id = " + real_run),
                scalar(db, "SELECT value FROM latest_metrics WHERE key = " + key + " AND run_id = " + preview_run));
  }
  return 0;
}
