// The tiny end-to-end trial (see tiny_trial.h).
#include "support/tiny_trial.h"

#include <cmath>
#include <variant>

#include "store/query.h"

namespace remix::test {

std::string tiny_config(const TempDir& dir, const std::string& cache, const std::string& extra) {
  return dir.write("exp.yaml",
                   "experiment: {name: e2e, db: " + dir.file("r.db") + ", output_dir: " + dir.file("runs") + "}\n"
                   "base: {cache_dir: " + cache + ", pretrain: {steps: 30, batch_size: 8, warmup_steps: 5}}\n"
                   "model: {dim: 128, n_layers: 2, n_heads: 4, n_kv_heads: 4, ffn_dim: 344}\n"
                   "adapter: {r: 2, num_experts: 4, top_k: 2}\n"
                   "router: {plugin: remix}\n"
                   "tasks: {math: {n_train: 64, n_eval: 8}}\n"
                   "train: {steps: 40, batch_size: 8, samples: 2, log_every: 1, eval_every: 20, checkpoint_every: 10,"
                   " warmup_steps: 2, lr: 0.01}\n"
                   "eval: {max_examples: 8, batch_size: 8}\n" + extra);
}

std::map<std::string, std::map<std::int64_t, double>> trial_metrics(const std::string& db) {
  auto rows = store::query_readonly(db, "SELECT m.key, m.step, m.value FROM metrics m JOIN runs r ON r.id = m.run_id "
                                        "WHERE r.kind = 'trial' AND m.key NOT LIKE '%tokens_per_s%' AND "
                                        "m.key <> 'compute/seconds'");
  std::map<std::string, std::map<std::int64_t, double>> out;
  for (const auto& r : rows.rows)
    out[std::get<std::string>(r[0])][std::get<std::int64_t>(r[1])] =
        std::holds_alternative<double>(r[2]) ? std::get<double>(r[2]) : std::nan("");
  return out;
}

std::string status_of(const std::string& db) {
  return std::get<std::string>(
      store::query_readonly(db, "SELECT status FROM runs WHERE kind = 'trial'").rows.at(0).at(0));
}

std::string base_sha(const std::string& db) {
  return std::get<std::string>(
      store::query_readonly(db, "SELECT value FROM tags WHERE key = 'base.sha256' LIMIT 1").rows.at(0).at(0));
}

}  // namespace remix::test
