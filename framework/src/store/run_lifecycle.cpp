// The life of a run: every transition of results_store.h's state machine, for both engines, and so every
// statement that writes the `runs` table (a test scans the sources for writes to it anywhere else). Each
// transition is one transaction that takes the write lock first (SQLite) or locks the rows it takes (PostgreSQL:
// FOR UPDATE SKIP LOCKED), so two workers never claim the same trial.
#include <unistd.h>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/text.h"
#include "store/provenance.h"
#include "store/sql_store.h"

namespace remix::store {

namespace {

constexpr const char* kRunColumns =
    "id, run_key, experiment_id, name, kind, status, attempt, heartbeat, host, pid, created_at, started_at, "
    "ended_at, error, config";

RunRecord read_run(const std::vector<SqlValue>& r) {
  RunRecord out;
  out.id = as_int(r[0]);
  out.run_key = to_text(r[1]);
  out.experiment_id = as_int(r[2]);
  out.name = to_text(r[3]);
  out.kind = to_text(r[4]);
  out.status = to_text(r[5]);
  out.attempt = as_int(r[6]);
  out.heartbeat = as_double(r[7]);
  out.host = to_text(r[8]);
  out.pid = as_int(r[9]);
  out.created_at = as_double(r[10]);
  out.started_at = as_double(r[11]);
  out.ended_at = as_double(r[12]);
  out.error = to_text(r[13]);
  out.config = to_text(r[14]);
  return out;
}

SqlValue text_or_null(const std::string& s) { return s.empty() ? SqlValue(std::monostate{}) : SqlValue(s); }

}  // namespace

std::pair<std::int64_t, bool> SqlStore::insert_pending(std::int64_t experiment_id, const PendingRun& run) {
  auto inserted = session_->query(
      "INSERT INTO runs (run_key, experiment_id, name, kind, created_at, config) VALUES (?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (run_key) DO NOTHING RETURNING id",
      {run.run_key, experiment_id, run.name, run.kind, now_seconds(), run.config_json});
  if (!inserted.rows.empty()) return {as_int(inserted.rows[0][0]), true};
  return {as_int(session_->query("SELECT id FROM runs WHERE run_key = ?", {run.run_key}).rows.at(0).at(0)), false};
}

// The start of an attempt by this process, inside the caller's transaction: the one place that does it.
void SqlStore::start_attempt(std::int64_t run_id) {
  double now = now_seconds();
  session_->exec("UPDATE runs SET status = 'running', attempt = attempt + 1, host = ?, pid = ?, started_at = ?, "
                 "heartbeat = ?, ended_at = NULL, error = NULL, stderr_tail = NULL WHERE id = ?",
                 {host_name(), static_cast<std::int64_t>(getpid()), now, now, run_id});
}

std::int64_t SqlStore::register_sweep(std::int64_t experiment_id, const std::string& name, const std::string& spec_json,
                                      const std::vector<PendingRun>& trials) {
  std::int64_t sweep_id = 0;
  transact([&] {
    session_->exec("INSERT INTO sweeps (experiment_id, name, spec, created_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (experiment_id, name) DO UPDATE SET spec = excluded.spec",
                   {experiment_id, name, spec_json, now_seconds()});
    sweep_id = as_int(session_->query("SELECT id FROM sweeps WHERE experiment_id = ? AND name = ?",
                                      {experiment_id, name})
                          .rows.at(0)
                          .at(0));
    session_->exec("DELETE FROM sweep_runs WHERE sweep_id = ?", {sweep_id});
    std::vector<std::vector<SqlValue>> links;
    for (std::size_t i = 0; i < trials.size(); ++i) {
      auto id = insert_pending(experiment_id, trials[i]).first;
      links.push_back({sweep_id, id, static_cast<std::int64_t>(i), trials[i].name});
      insert_params(id, trials[i].params);
    }
    session_->exec_many("INSERT INTO sweep_runs (sweep_id, run_id, position, name) VALUES (?, ?, ?, ?) ON CONFLICT "
                        "(sweep_id, run_id) DO UPDATE SET position = excluded.position, name = excluded.name",
                        links);
  });
  return sweep_id;
}

std::pair<std::int64_t, bool> SqlStore::register_run(std::int64_t experiment_id, const PendingRun& run) {
  std::pair<std::int64_t, bool> out;
  transact([&] {
    out = insert_pending(experiment_id, run);
    insert_params(out.first, run.params);
  });
  return out;
}

std::optional<SweepTrial> SqlStore::claim(const ClaimRequest& request) {
  std::optional<SweepTrial> claimed;
  const bool postgres = session_->dialect() == SqlDialect::Postgres;
  transact([&] {
    claimed.reset();
    double now = now_seconds();
    if (request.process_alive) {
      // A trial `running` on this host whose process is gone (killed with its worker) need not wait to go stale.
      // Marked only while it is still that process's: another worker may have taken it in between.
      auto orphans = session_->query("SELECT r.id, r.pid FROM runs r JOIN sweep_runs s ON s.run_id = r.id WHERE "
                                     "s.sweep_id = ? AND r.status = 'running' AND r.host = ?",
                                     {request.sweep_id, host_name()});
      for (const auto& o : orphans.rows)
        if (!request.process_alive(as_int(o[1]), as_int(o[0])))
          session_->exec("UPDATE runs SET status = 'interrupted', error = 'its process ended without recording an "
                         "end' WHERE id = ? AND status = 'running' AND pid = ? AND host = ?",
                         {o[0], o[1], host_name()});
    }
    std::string exclude;
    for (auto id : request.exclude) exclude += (exclude.empty() ? "" : ", ") + std::to_string(id);
    auto pick = session_->query(
        fmt::format("SELECT r.id, s.position, r.attempt, r.run_key, coalesce(s.name, r.name) FROM runs r "
                    "JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = ? AND s.position % ? = ? AND "
                    "(r.status IN ('pending', 'interrupted') OR (r.status = 'running' AND coalesce(r.heartbeat, 0) < ?))"
                    "{} ORDER BY s.position LIMIT 1{}",
                    exclude.empty() ? "" : " AND r.id NOT IN (" + exclude + ")",
                    postgres ? " FOR UPDATE OF r SKIP LOCKED" : ""),
        {request.sweep_id, request.shard.count, request.shard.index, now - request.stale_seconds});
    if (pick.rows.empty()) return;
    const auto& r = pick.rows[0];
    claimed = SweepTrial{as_int(r[0]), as_int(r[1]), as_int(r[2]) + 1, to_text(r[3]), to_text(r[4]), "running", ""};
    start_attempt(claimed->run_id);
  });
  return claimed;
}

void SqlStore::begin_attempt(std::int64_t run_id) {
  transact([&] { start_attempt(run_id); });
}

void SqlStore::attach(std::int64_t run_id) {
  transact([&] {
    session_->exec("UPDATE runs SET status = 'running', host = ?, pid = ?, heartbeat = ? WHERE id = ?",
                   {host_name(), static_cast<std::int64_t>(getpid()), now_seconds(), run_id});
  });
}

void SqlStore::heartbeat(std::int64_t run_id) {
  session_->exec("UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running'", {now_seconds(), run_id});
}

void SqlStore::end_attempt(std::int64_t run_id, const char* status, const std::string& error,
                           const std::string& stderr_tail) {
  transact([&] {
    double now = now_seconds();
    session_->exec("UPDATE runs SET status = ?, ended_at = ?, heartbeat = ?, error = ?, stderr_tail = ? WHERE id = ?",
                   {std::string(status), now, now, text_or_null(error), text_or_null(stderr_tail), run_id});
  });
}

void SqlStore::complete(std::int64_t run_id) { end_attempt(run_id, "completed", "", ""); }

void SqlStore::fail(std::int64_t run_id, const std::string& error, const std::string& stderr_tail) {
  end_attempt(run_id, "failed", error, stderr_tail);
}

void SqlStore::interrupt(std::int64_t run_id, const std::string& reason, const std::string& stderr_tail) {
  end_attempt(run_id, "interrupted", reason, stderr_tail);
}

int SqlStore::requeue_failed(std::int64_t sweep_id, const Shard& shard) {
  int n = 0;
  transact([&] {
    n = static_cast<int>(session_
                             ->query("UPDATE runs SET status = 'pending' WHERE status = 'failed' AND id IN (SELECT "
                                     "run_id FROM sweep_runs WHERE sweep_id = ? AND position % ? = ?) RETURNING id",
                                     {sweep_id, shard.count, shard.index})
                             .rows.size());
  });
  return n;
}

std::optional<RunRecord> SqlStore::run_where(const std::string& condition, const SqlValue& value) {
  auto r = session_->query(fmt::format("SELECT {} FROM runs WHERE {} = ?", kRunColumns, condition), {value});
  if (r.rows.empty()) return std::nullopt;
  return read_run(r.rows[0]);
}

std::optional<RunRecord> SqlStore::run(std::int64_t run_id) { return run_where("id", run_id); }

std::optional<RunRecord> SqlStore::find_run(const std::string& run_key) { return run_where("run_key", run_key); }

}  // namespace remix::store
