// The results store: everything a run records, and every transition of a run's life, behind one interface.
// One implementation (store/sql_store.h) speaks portable SQL to a session of either engine: a SQLite file (the
// embedded default) or a PostgreSQL server (sweeps across machines). Nothing above store/ sees an engine's
// types: the queue, the worker, the trial runner and the trainer all go through this; report/ reads through
// read() in portable SQL, and `remix query` runs a user's SQL read-only through store/query.h.
//
// The life of a run, one function per transition (all of them, and every write to `runs`, are in
// store/run_lifecycle.cpp, for both engines):
//
//   register_sweep / register_run ──> pending ──claim──> running ──complete──> completed (never run again)
//                                                          │  │
//                                                          │  ├──fail──────> failed ──requeue_failed──> pending
//                                                          │  └──interrupt─> interrupted ──claim──> running
//                                                          └── heartbeat older than the stale limit, or its
//                                                              process gone from this host: claim takes it again
//   begin_attempt: running, for a run no queue hands out (the base model's pretraining)
//   attach: the process that executes a claimed run takes it over (its host and pid); heartbeat: it still lives
//
// Every attempt that starts (claim, begin_attempt) counts attempt + 1 and clears the last attempt's end,
// error and stderr tail.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "remix/errors.h"
#include "store/sql_value.h"

namespace remix::store {

struct RunRecord {
  std::int64_t id = 0;
  std::string run_key, name, kind, status, host, error;
  std::int64_t experiment_id = 0, attempt = 0, pid = 0;
  double created_at = 0, started_at = 0, ended_at = 0, heartbeat = 0;
  std::string config;  // resolved config JSON
};

// A run to record as pending: its trial key, display name, kind ("trial", "pretrain", "preview"), config JSON
// and the flattened params.
struct PendingRun {
  std::string run_key, name, kind = "trial", config_json;
  std::vector<std::pair<std::string, std::string>> params;
};

// One run a preview merged: the run, the task it trained on alone, and the task's weight in the preview.
struct PreviewSource {
  std::int64_t run_id = 0;
  std::string task;
  double weight = 0;
};

// A worker takes only trials whose position in the sweep % count == index.
struct Shard {
  std::int64_t index = 0, count = 1;
};

// One trial of a sweep, in sweep order.
struct SweepTrial {
  std::int64_t run_id = 0, position = 0, attempt = 0;
  std::string run_key, name, status, error;
};

struct ClaimRequest {
  std::int64_t sweep_id = 0;
  Shard shard;
  double stale_seconds = 120;            // a running trial's heartbeat older than this: its worker died
  std::set<std::int64_t> exclude;        // trials this worker already ran
  // Whether `pid` on this host still runs trial `run_id`; a `running` trial of this host whose process is gone
  // is interrupted at once instead of waiting to go stale. Null: only heartbeats count.
  std::function<bool(std::int64_t pid, std::int64_t run_id)> process_alive;
};

struct MetricRow {
  std::string key;
  std::int64_t step = 0;
  double value = 0;  // NaN and infinities are stored as NULL
  double wall_time = 0;
};

class ResultsStore {
 public:
  virtual ~ResultsStore() = default;
  // Where the store is, for messages (a path; never a password).
  virtual const std::string& location() const = 0;

  // --- experiments and sweeps ---
  virtual std::int64_t ensure_experiment(const std::string& name) = 0;
  // The newest sweep of that name, or UserError naming the sweeps there are.
  virtual std::int64_t find_sweep(const std::string& name) = 0;
  virtual std::vector<SweepTrial> sweep_trials(std::int64_t sweep_id) = 0;

  // --- the life of a run (see above) ---
  // Records the sweep (name, spec JSON) and all its trials in order in one transaction; trials already known
  // (same trial key) keep their state. Returns the sweep id.
  virtual std::int64_t register_sweep(std::int64_t experiment_id, const std::string& name, const std::string& spec_json,
                                      const std::vector<PendingRun>& trials) = 0;
  // The run with this key, recorded as pending if new (with its params). Returns its id and whether it was new.
  virtual std::pair<std::int64_t, bool> register_run(std::int64_t experiment_id, const PendingRun& run) = 0;
  // Atomically takes the next claimable trial of the sweep (pending, interrupted, or running with a stale
  // heartbeat or a dead process on this host) for the calling process: running, attempt + 1.
  virtual std::optional<SweepTrial> claim(const ClaimRequest& request) = 0;
  virtual void begin_attempt(std::int64_t run_id) = 0;
  virtual void attach(std::int64_t run_id) = 0;
  // Only a running run's heartbeat moves (a late beat never revives a finished run).
  virtual void heartbeat(std::int64_t run_id) = 0;
  virtual void complete(std::int64_t run_id) = 0;
  virtual void fail(std::int64_t run_id, const std::string& error, const std::string& stderr_tail = "") = 0;
  virtual void interrupt(std::int64_t run_id, const std::string& reason, const std::string& stderr_tail = "") = 0;
  // The sweep's failed trials of this shard back to pending (--retry-failed); returns how many.
  virtual int requeue_failed(std::int64_t sweep_id, const Shard& shard) = 0;
  virtual std::optional<RunRecord> run(std::int64_t run_id) = 0;
  virtual std::optional<RunRecord> find_run(const std::string& run_key) = 0;

  // --- what a run records ---
  virtual void record_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params) = 0;
  virtual void record_tags(std::int64_t run_id, const std::map<std::string, std::string>& tags) = 0;
  virtual std::map<std::string, std::string> tags(std::int64_t run_id) = 0;
  virtual std::int64_t add_artifact(std::int64_t run_id, const std::string& kind, const std::string& path,
                                    std::optional<std::int64_t> step, const std::string& sha256,
                                    std::int64_t bytes) = 0;
  // The per-task runs a preview (kind 'preview') merged, each with its task and that task's weight; recorded
  // once (a preview run again keeps its first record).
  virtual void record_preview_sources(std::int64_t preview_run_id, const std::vector<PreviewSource>& sources) = 0;
  // Appends metric rows in one transaction (a step logged again replaces the old row, as a resumed run does)
  // and moves latest_metrics forward. MetricsRecorder (recorder.h) batches the calls.
  virtual void write_metrics(std::int64_t run_id, const std::vector<MetricRow>& rows) = 0;
  // The per-example scores behind eval metric `metric` at `step` (their mean is the metric), in the order of the
  // task's eval examples; an evaluation recorded again replaces them.
  virtual void write_outcomes(std::int64_t run_id, const std::string& metric, std::int64_t step,
                              const std::vector<double>& scores) = 0;
  // The newest value of every metric whose key starts with `prefix`, per run of the sweep.
  virtual std::map<std::int64_t, std::map<std::string, double>> latest_metrics(std::int64_t sweep_id,
                                                                              const std::string& prefix) = 0;

  // A read of remix's tables in portable SQL (`?` placeholders; what SQLite and PostgreSQL both accept), for
  // the tables and charts of report/.
  virtual QueryResult read(const std::string& sql, const std::vector<SqlValue>& params = {}) = 0;
};

// A server connection lost inside a transaction: the transaction is gone and the store runs it again.
struct ConnectionLost : StoreError {
  using StoreError::StoreError;
};

// A server that could not be reached right now (refused, restarting, timed out) as opposed to one that said
// no (wrong credentials, no such database): a process started by a worker may wait for it to come back.
struct ServerUnavailable : StoreError {
  using StoreError::StoreError;
};

enum class Access {
  Create,     // read and write; a missing store is created; migrated to this remix's schema
  ReadWrite,  // read and write an existing store (migrated)
  ReadOnly,   // read an existing store; every write is refused
};

// The store at `location`: a PostgreSQL URI (postgresql://user@host:port/db) or a SQLite file path. Its schema
// is recognised before anything is written (another application's database, or a newer remix's, is refused
// untouched). Throws StoreError naming the location: a missing folder or file, not a remix
// database, a schema newer than this remix, or a location of a backend this build does not have.
std::unique_ptr<ResultsStore> open_store(const std::string& location, Access access);
// A location as it may be shown or recorded: a URI loses its password (user:password@, password=).
std::string redact_location(const std::string& location);
// Whether the location names a database server (a URI) rather than a file.
bool is_server_location(const std::string& location);

}  // namespace remix::store
