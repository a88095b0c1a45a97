// The life of a run in the SQLite store: every transition of results_store.h's state machine, and so every
// statement that writes the `runs` table (a test scans the sources for writes to it anywhere else). Each
// transition is one IMMEDIATE transaction, so two workers never claim the same trial.
#include <unistd.h>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/text.h"
#include "store/provenance.h"
#include "store/sqlite_store.h"

namespace remix::store {

namespace {

constexpr const char* kRunColumns =
    "id, run_key, experiment_id, name, kind, status, attempt, heartbeat, host, pid, created_at, started_at, "
    "ended_at, error, config";

RunRecord read_run(const Statement& st) {
  RunRecord r;
  r.id = st.column_int(0);
  r.run_key = st.column_text(1);
  r.experiment_id = st.column_int(2);
  r.name = st.column_text(3);
  r.kind = st.column_text(4);
  r.status = st.column_text(5);
  r.attempt = st.column_int(6);
  r.heartbeat = st.column_double(7);
  r.host = st.column_text(8);
  r.pid = st.column_int(9);
  r.created_at = st.column_double(10);
  r.started_at = st.column_double(11);
  r.ended_at = st.column_double(12);
  r.error = st.column_text(13);
  r.config = st.column_text(14);
  return r;
}

// Inserts a pending run unless its key is known, and returns its id.
std::pair<std::int64_t, bool> insert_pending(Database& db, std::int64_t experiment_id, const PendingRun& run) {
  auto ins = db.prepare(
      "INSERT OR IGNORE INTO runs (run_key, experiment_id, name, kind, created_at, config) VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, run.run_key).bind(2, experiment_id).bind(3, run.name).bind(4, run.kind).bind(5, now_seconds());
  ins.bind(6, run.config_json).run();
  bool created = db.changes() > 0;
  auto st = db.prepare("SELECT id FROM runs WHERE run_key = ?");
  st.bind(1, run.run_key).step();
  return {st.column_int(0), created};
}

// The start of an attempt by this process, inside the caller's transaction: the one place that does it.
void start_attempt(Database& db, std::int64_t run_id) {
  double now = now_seconds();
  db.prepare("UPDATE runs SET status = 'running', attempt = attempt + 1, host = ?, pid = ?, started_at = ?, "
             "heartbeat = ?, ended_at = NULL, error = NULL, stderr_tail = NULL WHERE id = ?")
      .bind(1, host_name())
      .bind(2, static_cast<std::int64_t>(getpid()))
      .bind(3, now)
      .bind(4, now)
      .bind(5, run_id)
      .run();
}

}  // namespace

std::int64_t SqliteStore::register_sweep(std::int64_t experiment_id, const std::string& name,
                                         const std::string& spec_json, const std::vector<PendingRun>& trials) {
  Transaction tx(db_);
  db_.prepare("INSERT INTO sweeps (experiment_id, name, spec, created_at) VALUES (?, ?, ?, ?) "
              "ON CONFLICT (experiment_id, name) DO UPDATE SET spec = excluded.spec")
      .bind(1, experiment_id)
      .bind(2, name)
      .bind(3, spec_json)
      .bind(4, now_seconds())
      .run();
  auto st = db_.prepare("SELECT id FROM sweeps WHERE experiment_id = ? AND name = ?");
  st.bind(1, experiment_id).bind(2, name).step();
  std::int64_t sweep_id = st.column_int(0);
  st.reset();
  db_.prepare("DELETE FROM sweep_runs WHERE sweep_id = ?").bind(1, sweep_id).run();
  auto link = db_.prepare("INSERT OR REPLACE INTO sweep_runs (sweep_id, run_id, position) VALUES (?, ?, ?)");
  for (std::size_t i = 0; i < trials.size(); ++i) {
    auto id = insert_pending(db_, experiment_id, trials[i]).first;
    link.bind(1, sweep_id).bind(2, id).bind(3, static_cast<std::int64_t>(i)).run();
    insert_params(id, trials[i].params);
  }
  tx.commit();
  return sweep_id;
}

std::pair<std::int64_t, bool> SqliteStore::register_run(std::int64_t experiment_id, const PendingRun& run) {
  Transaction tx(db_);
  auto out = insert_pending(db_, experiment_id, run);
  insert_params(out.first, run.params);
  tx.commit();
  return out;
}

std::optional<SweepTrial> SqliteStore::claim(const ClaimRequest& request) {
  Transaction tx(db_);
  double now = now_seconds();
  if (request.process_alive) {
    // A trial `running` on this host whose process is gone (killed with its worker) need not wait to go stale.
    auto orphans = db_.prepare(
        "SELECT r.id, r.pid FROM runs r JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = ? AND "
        "r.status = 'running' AND r.host = ?");
    orphans.bind(1, request.sweep_id).bind(2, host_name());
    std::vector<std::int64_t> gone;
    while (orphans.step())
      if (!request.process_alive(orphans.column_int(1), orphans.column_int(0))) gone.push_back(orphans.column_int(0));
    orphans.reset();
    auto mark = db_.prepare(
        "UPDATE runs SET status = 'interrupted', error = 'its process ended without recording an end' WHERE id = ?");
    for (auto id : gone) mark.bind(1, id).run();
  }
  std::vector<std::string> excluded;
  for (auto id : request.exclude) excluded.push_back(std::to_string(id));
  auto pick = db_.prepare(fmt::format(
      "SELECT r.id, s.position, r.attempt, r.run_key, r.name FROM runs r "
      "JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = ? AND s.position % ? = ? AND "
      "(r.status IN ('pending', 'interrupted') OR (r.status = 'running' AND coalesce(r.heartbeat, 0) < ?)) "
      "AND r.id NOT IN ({}) ORDER BY s.position LIMIT 1",
      text::join(excluded, ", ")));
  pick.bind(1, request.sweep_id).bind(2, request.shard.count).bind(3, request.shard.index);
  pick.bind(4, now - request.stale_seconds);
  if (!pick.step()) {
    pick.reset();
    tx.commit();  // keeps the orphans marked
    return std::nullopt;
  }
  SweepTrial t{pick.column_int(0), pick.column_int(1), pick.column_int(2) + 1, pick.column_text(3),
               pick.column_text(4), "running", ""};
  pick.reset();
  start_attempt(db_, t.run_id);
  tx.commit();
  return t;
}

void SqliteStore::begin_attempt(std::int64_t run_id) {
  Transaction tx(db_);
  start_attempt(db_, run_id);
  tx.commit();
}

void SqliteStore::attach(std::int64_t run_id) {
  Transaction tx(db_);
  db_.prepare("UPDATE runs SET status = 'running', host = ?, pid = ?, heartbeat = ? WHERE id = ?")
      .bind(1, host_name())
      .bind(2, static_cast<std::int64_t>(getpid()))
      .bind(3, now_seconds())
      .bind(4, run_id)
      .run();
  tx.commit();
}

void SqliteStore::heartbeat(std::int64_t run_id) {
  // One statement is its own transaction; no IMMEDIATE needed for a single write.
  db_.prepare("UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running'")
      .bind(1, now_seconds())
      .bind(2, run_id)
      .run();
}

void SqliteStore::end_attempt(std::int64_t run_id, const char* status, const std::string& error,
                              const std::string& stderr_tail) {
  Transaction tx(db_);
  auto st = db_.prepare("UPDATE runs SET status = ?, ended_at = ?, heartbeat = ?, error = ?, stderr_tail = ? WHERE id = ?");
  double now = now_seconds();
  st.bind(1, status).bind(2, now).bind(3, now);
  if (error.empty()) st.bind_null(4); else st.bind(4, error);
  if (stderr_tail.empty()) st.bind_null(5); else st.bind(5, stderr_tail);
  st.bind(6, run_id).run();
  tx.commit();
}

void SqliteStore::complete(std::int64_t run_id) { end_attempt(run_id, "completed", "", ""); }

void SqliteStore::fail(std::int64_t run_id, const std::string& error, const std::string& stderr_tail) {
  end_attempt(run_id, "failed", error, stderr_tail);
}

void SqliteStore::interrupt(std::int64_t run_id, const std::string& reason, const std::string& stderr_tail) {
  end_attempt(run_id, "interrupted", reason, stderr_tail);
}

int SqliteStore::requeue_failed(std::int64_t sweep_id, const Shard& shard) {
  Transaction tx(db_);
  db_.prepare("UPDATE runs SET status = 'pending' WHERE status = 'failed' AND id IN (SELECT run_id FROM sweep_runs "
              "WHERE sweep_id = ? AND position % ? = ?)")
      .bind(1, sweep_id)
      .bind(2, shard.count)
      .bind(3, shard.index)
      .run();
  int n = db_.changes();
  tx.commit();
  return n;
}

std::optional<RunRecord> SqliteStore::run(std::int64_t run_id) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns));
  st.bind(1, run_id);
  if (!st.step()) return std::nullopt;
  return read_run(st);
}

std::optional<RunRecord> SqliteStore::find_run(const std::string& run_key) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM runs WHERE run_key = ?", kRunColumns));
  st.bind(1, run_key);
  if (!st.step()) return std::nullopt;
  return read_run(st);
}

}  // namespace remix::store
