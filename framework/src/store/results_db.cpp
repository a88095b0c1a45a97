// Runs, params, tags and artifacts in the results database (see results_db.h).
#include "store/results_db.h"

#include <unistd.h>

#include <fmt/format.h>

#include "common/clock.h"
#include "store/provenance.h"
#include "store/schema.h"

namespace remix::store {

namespace {

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

constexpr const char* kRunColumns =
    "id, run_key, experiment_id, name, kind, status, attempt, heartbeat, host, pid, created_at, started_at, "
    "ended_at, error, config";

}  // namespace

ResultsDb::ResultsDb(const std::string& path) : db_(path, Database::Mode::ReadWrite) { migrate(db_); }

std::int64_t ResultsDb::ensure_experiment(const std::string& name) {
  Transaction tx(db_);
  db_.prepare("INSERT OR IGNORE INTO experiments (name, created_at) VALUES (?, ?)").bind(1, name).bind(2, now_seconds()).run();
  auto st = db_.prepare("SELECT id FROM experiments WHERE name = ?");
  st.bind(1, name).step();
  std::int64_t id = st.column_int(0);
  st.reset();
  tx.commit();
  return id;
}

std::pair<std::int64_t, bool> ResultsDb::ensure_run(std::int64_t experiment_id, const std::string& run_key,
                                                    const std::string& name, const std::string& kind,
                                                    const std::string& config_json) {
  Transaction tx(db_);
  auto ins = db_.prepare(
      "INSERT OR IGNORE INTO runs (run_key, experiment_id, name, kind, created_at, config) VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, run_key).bind(2, experiment_id).bind(3, name).bind(4, kind).bind(5, now_seconds()).bind(6, config_json);
  ins.run();
  bool created = db_.changes() > 0;
  auto st = db_.prepare("SELECT id FROM runs WHERE run_key = ?");
  st.bind(1, run_key).step();
  std::int64_t id = st.column_int(0);
  st.reset();
  tx.commit();
  return {id, created};
}

std::optional<RunRecord> ResultsDb::find_run(const std::string& run_key) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM runs WHERE run_key = ?", kRunColumns));
  st.bind(1, run_key);
  if (!st.step()) return std::nullopt;
  return read_run(st);
}

std::optional<RunRecord> ResultsDb::run(std::int64_t run_id) {
  auto st = db_.prepare(fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns));
  st.bind(1, run_id);
  if (!st.step()) return std::nullopt;
  return read_run(st);
}

void ResultsDb::start_run(std::int64_t run_id) {
  Transaction tx(db_);
  double now = now_seconds();
  db_.prepare(
         "UPDATE runs SET status = 'running', attempt = attempt + 1, host = ?, pid = ?, started_at = ?, heartbeat = ?, "
         "ended_at = NULL, error = NULL WHERE id = ?")
      .bind(1, host_name())
      .bind(2, static_cast<std::int64_t>(getpid()))
      .bind(3, now)
      .bind(4, now)
      .bind(5, run_id)
      .run();
  tx.commit();
}

void ResultsDb::attach_process(std::int64_t run_id) {
  Transaction tx(db_);
  db_.prepare("UPDATE runs SET status = 'running', host = ?, pid = ?, heartbeat = ? WHERE id = ?")
      .bind(1, host_name())
      .bind(2, static_cast<std::int64_t>(getpid()))
      .bind(3, now_seconds())
      .bind(4, run_id)
      .run();
  tx.commit();
}

void ResultsDb::heartbeat(std::int64_t run_id) {
  Transaction tx(db_);
  db_.prepare("UPDATE runs SET heartbeat = ? WHERE id = ?").bind(1, now_seconds()).bind(2, run_id).run();
  tx.commit();
}

void ResultsDb::finish_run(std::int64_t run_id, const std::string& status, const std::string& error,
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

void ResultsDb::record_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params) {
  Transaction tx(db_);
  auto st = db_.prepare("INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?, ?, ?)");
  for (const auto& [k, v] : params) st.bind(1, run_id).bind(2, k).bind(3, v).run();
  tx.commit();
}

void ResultsDb::record_tags(std::int64_t run_id, const std::map<std::string, std::string>& tags) {
  Transaction tx(db_);
  auto st = db_.prepare("INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?, ?, ?)");
  for (const auto& [k, v] : tags) st.bind(1, run_id).bind(2, k).bind(3, v).run();
  tx.commit();
}

std::map<std::string, std::string> ResultsDb::tags(std::int64_t run_id) {
  std::map<std::string, std::string> out;
  auto st = db_.prepare("SELECT key, value FROM tags WHERE run_id = ?");
  st.bind(1, run_id);
  while (st.step()) out[st.column_text(0)] = st.column_text(1);
  return out;
}

std::int64_t ResultsDb::add_artifact(std::int64_t run_id, const std::string& kind, const std::string& path,
                                     std::optional<std::int64_t> step, const std::string& sha256,
                                     std::int64_t bytes) {
  Transaction tx(db_);
  auto st = db_.prepare(
      "INSERT INTO artifacts (run_id, kind, path, step, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, run_id).bind(2, kind).bind(3, path);
  if (step) st.bind(4, *step); else st.bind_null(4);
  st.bind(5, sha256).bind(6, bytes).bind(7, now_seconds()).run();
  std::int64_t id = db_.last_insert_rowid();
  tx.commit();
  return id;
}

}  // namespace remix::store
