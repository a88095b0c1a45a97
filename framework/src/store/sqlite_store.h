// The results store in one SQLite file (WAL, busy timeout, short IMMEDIATE transactions): the embedded
// backend of ResultsStore. Records (experiments, params, tags, artifacts, metrics) are written in
// sqlite_store.cpp; every transition of a run, and so every write to the `runs` table, in
// sqlite_run_lifecycle.cpp.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "store/results_store.h"
#include "store/sqlite.h"

namespace remix::store {

class SqliteStore final : public ResultsStore {
 public:
  // Opens (ReadWrite: creating and migrating) the database at `path`; see open_store.
  SqliteStore(const std::string& path, Access access);

  const std::string& location() const override { return db_.path(); }
  // The connection, for the store's own tests and benchmarks.
  Database& database() { return db_; }

  std::int64_t ensure_experiment(const std::string& name) override;
  std::int64_t find_sweep(const std::string& name) override;
  std::vector<SweepTrial> sweep_trials(std::int64_t sweep_id) override;

  std::int64_t register_sweep(std::int64_t experiment_id, const std::string& name, const std::string& spec_json,
                              const std::vector<PendingRun>& trials) override;
  std::pair<std::int64_t, bool> register_run(std::int64_t experiment_id, const PendingRun& run) override;
  std::optional<SweepTrial> claim(const ClaimRequest& request) override;
  void begin_attempt(std::int64_t run_id) override;
  void attach(std::int64_t run_id) override;
  void heartbeat(std::int64_t run_id) override;
  void complete(std::int64_t run_id) override;
  void fail(std::int64_t run_id, const std::string& error, const std::string& stderr_tail) override;
  void interrupt(std::int64_t run_id, const std::string& reason, const std::string& stderr_tail) override;
  int requeue_failed(std::int64_t sweep_id, const Shard& shard) override;
  std::optional<RunRecord> run(std::int64_t run_id) override;
  std::optional<RunRecord> find_run(const std::string& run_key) override;

  void record_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params) override;
  void record_tags(std::int64_t run_id, const std::map<std::string, std::string>& tags) override;
  std::map<std::string, std::string> tags(std::int64_t run_id) override;
  std::int64_t add_artifact(std::int64_t run_id, const std::string& kind, const std::string& path,
                            std::optional<std::int64_t> step, const std::string& sha256, std::int64_t bytes) override;
  void write_metrics(std::int64_t run_id, const std::vector<MetricRow>& rows) override;
  std::map<std::int64_t, std::map<std::string, double>> latest_metrics(std::int64_t sweep_id,
                                                                      const std::string& prefix) override;

 private:
  // Inserts the params of a run inside the caller's transaction (existing keys keep their value).
  void insert_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params);
  // The end of an attempt: status, ended_at, error and stderr tail.
  void end_attempt(std::int64_t run_id, const char* status, const std::string& error, const std::string& stderr_tail);

  Database db_;
  // Prepared once: metric writes are the hot path (bench_recorder).
  std::optional<Statement> insert_metric_, upsert_latest_;
};

}  // namespace remix::store
