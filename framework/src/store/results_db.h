// The results database as the framework uses it: experiments, runs and their lifecycle, params, tags and
// artifacts. Metrics go through MetricsRecorder (recorder.h). Every write is a short IMMEDIATE transaction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite.h"

namespace remix::store {

struct RunRecord {
  std::int64_t id = 0;
  std::string run_key, name, kind, status, host, error;
  std::int64_t experiment_id = 0, attempt = 0, pid = 0;
  double created_at = 0, started_at = 0, ended_at = 0, heartbeat = 0;
  std::string config;  // resolved config JSON
};

class ResultsDb {
 public:
  // Opens (creating if needed) and migrates. Throws StoreError (missing directory, not SQLite, newer schema).
  explicit ResultsDb(const std::string& path);

  Database& db() { return db_; }
  const std::string& path() const { return db_.path(); }

  std::int64_t ensure_experiment(const std::string& name);
  // The run with this key, inserted as `pending` if new. Returns its id and whether it was created.
  std::pair<std::int64_t, bool> ensure_run(std::int64_t experiment_id, const std::string& run_key,
                                           const std::string& name, const std::string& kind,
                                           const std::string& config_json);
  std::optional<RunRecord> find_run(const std::string& run_key);
  std::optional<RunRecord> run(std::int64_t run_id);

  // running: attempt + 1, host, pid, started_at, heartbeat = now.
  void start_run(std::int64_t run_id);
  void heartbeat(std::int64_t run_id);
  // The calling process now runs this (already claimed) trial: status running, its pid and host, heartbeat.
  void attach_process(std::int64_t run_id);
  // completed / failed / interrupted, with an error message for failed ones.
  void finish_run(std::int64_t run_id, const std::string& status, const std::string& error = "",
                  const std::string& stderr_tail = "");

  void record_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params);
  void record_tags(std::int64_t run_id, const std::map<std::string, std::string>& tags);
  std::map<std::string, std::string> tags(std::int64_t run_id);
  std::int64_t add_artifact(std::int64_t run_id, const std::string& kind, const std::string& path,
                            std::optional<std::int64_t> step, const std::string& sha256, std::int64_t bytes);

 private:
  Database db_;
};

}  // namespace remix::store
