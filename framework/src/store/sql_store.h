// The results store over a session of either engine (store/sql_session.h): records (experiments, params, tags,
// artifacts, metrics) and reads in sql_store.cpp; every transition of a run, and so every write to the `runs`
// table, in run_lifecycle.cpp. Its SQL is portable: `?` placeholders, ON CONFLICT upserts, RETURNING; where the
// engines differ (a claim's row lock) the session's dialect says which. Every write is one short transaction,
// run again whole when a server connection was lost in the middle of it (each is safe to repeat).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "store/results_store.h"
#include "store/sql_session.h"

namespace remix::store {

class SqlStore final : public ResultsStore {
 public:
  // Recognises the database (read-only), refusing another application's or a newer remix's; then, unless
  // ReadOnly, prepares it for writing and migrates it.
  SqlStore(std::unique_ptr<SqlSession> session, Access access);

  const std::string& location() const override { return session_->location(); }
  SqlSession& session() { return *session_; }

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
  void record_preview_sources(std::int64_t preview_run_id, const std::vector<PreviewSource>& sources) override;
  std::map<std::string, std::string> tags(std::int64_t run_id) override;
  std::int64_t add_artifact(std::int64_t run_id, const std::string& kind, const std::string& path,
                            std::optional<std::int64_t> step, const std::string& sha256, std::int64_t bytes) override;
  void write_metrics(std::int64_t run_id, const std::vector<MetricRow>& rows) override;
  void write_outcomes(std::int64_t run_id, const std::string& metric, std::int64_t step,
                      const std::vector<double>& scores) override;
  std::map<std::int64_t, std::map<std::string, double>> latest_metrics(std::int64_t sweep_id,
                                                                      const std::string& prefix) override;
  QueryResult read(const std::string& sql, const std::vector<SqlValue>& params) override;

 private:
  // Runs `body` in one transaction; again from the start when the connection was lost inside it.
  void transact(const std::function<void()>& body);
  // Inserts a pending run unless its key is known (inside the caller's transaction); its id and whether it is new.
  std::pair<std::int64_t, bool> insert_pending(std::int64_t experiment_id, const PendingRun& run);
  void insert_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params);
  void start_attempt(std::int64_t run_id);
  void end_attempt(std::int64_t run_id, const char* status, const std::string& error, const std::string& stderr_tail);
  std::optional<RunRecord> run_where(const std::string& condition, const SqlValue& value);

  std::unique_ptr<SqlSession> session_;
};

}  // namespace remix::store
