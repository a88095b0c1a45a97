// The SQLite store's records: experiments, sweeps read back, params, tags, artifacts, metrics (see
// sqlite_store.h). Run transitions are in sqlite_run_lifecycle.cpp.
#include "store/sqlite_store.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <unordered_map>

#include "common/clock.h"
#include "common/text.h"
#include "remix/errors.h"
#include "store/schema.h"

namespace remix::store {

namespace {

Database::Mode mode_for(const std::string& path, Access access) {
  if (access != Access::Create && !std::filesystem::exists(path))
    throw StoreError(fmt::format("{}: no such results database (`remix run` creates one)", path));
  return access == Access::ReadOnly ? Database::Mode::ReadOnly : Database::Mode::ReadWrite;
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, Access access) : db_(path, mode_for(path, access)) {
  // Recognise the file first (read-only): a database of another application or of a newer remix is refused
  // before a byte of it changes. Only then the journal mode and the migrations.
  int version = schema_version(db_);
  if (version > kSchemaVersion)
    throw StoreError(fmt::format("{}: database schema version {} is newer than this remix supports ({}); use a "
                                 "newer remix to open it",
                                 path, version, kSchemaVersion));
  if (access == Access::ReadOnly) return;
  db_.use_wal();
  migrate(db_);
}

std::int64_t SqliteStore::ensure_experiment(const std::string& name) {
  Transaction tx(db_);
  db_.prepare("INSERT OR IGNORE INTO experiments (name, created_at) VALUES (?, ?)").bind(1, name).bind(2, now_seconds()).run();
  auto st = db_.prepare("SELECT id FROM experiments WHERE name = ?");
  st.bind(1, name).step();
  std::int64_t id = st.column_int(0);
  st.reset();
  tx.commit();
  return id;
}

std::int64_t SqliteStore::find_sweep(const std::string& name) {
  auto st = db_.prepare("SELECT id FROM sweeps WHERE name = ? ORDER BY id DESC LIMIT 1");
  st.bind(1, name);
  if (st.step()) return st.column_int(0);
  std::vector<std::string> known;
  auto all = db_.prepare("SELECT DISTINCT name FROM sweeps ORDER BY name");
  while (all.step()) known.push_back(all.column_text(0));
  throw UserError(fmt::format("{}: no sweep named '{}'{}; sweeps: {}", db_.path(), name, text::did_you_mean(name, known),
                              known.empty() ? "none" : text::join(known, ", ")));
}

std::vector<SweepTrial> SqliteStore::sweep_trials(std::int64_t sweep_id) {
  std::vector<SweepTrial> out;
  auto st = db_.prepare(
      "SELECT r.id, s.position, r.attempt, r.run_key, r.name, r.status, coalesce(r.error, '') FROM runs r "
      "JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = ? ORDER BY s.position");
  st.bind(1, sweep_id);
  while (st.step())
    out.push_back({st.column_int(0), st.column_int(1), st.column_int(2), st.column_text(3), st.column_text(4),
                   st.column_text(5), st.column_text(6)});
  return out;
}

void SqliteStore::insert_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params) {
  auto st = db_.prepare("INSERT OR IGNORE INTO params (run_id, key, value) VALUES (?, ?, ?)");
  for (const auto& [k, v] : params) st.bind(1, run_id).bind(2, k).bind(3, v).run();
}

void SqliteStore::record_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params) {
  Transaction tx(db_);
  auto st = db_.prepare("INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?, ?, ?)");
  for (const auto& [k, v] : params) st.bind(1, run_id).bind(2, k).bind(3, v).run();
  tx.commit();
}

void SqliteStore::record_tags(std::int64_t run_id, const std::map<std::string, std::string>& tags) {
  Transaction tx(db_);
  auto st = db_.prepare("INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?, ?, ?)");
  for (const auto& [k, v] : tags) st.bind(1, run_id).bind(2, k).bind(3, v).run();
  tx.commit();
}

std::map<std::string, std::string> SqliteStore::tags(std::int64_t run_id) {
  std::map<std::string, std::string> out;
  auto st = db_.prepare("SELECT key, value FROM tags WHERE run_id = ?");
  st.bind(1, run_id);
  while (st.step()) out[st.column_text(0)] = st.column_text(1);
  return out;
}

std::int64_t SqliteStore::add_artifact(std::int64_t run_id, const std::string& kind, const std::string& path,
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

void SqliteStore::write_metrics(std::int64_t run_id, const std::vector<MetricRow>& rows) {
  if (rows.empty()) return;
  if (!insert_metric_) {
    insert_metric_.emplace(
        db_.prepare("INSERT OR REPLACE INTO metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?)"));
    upsert_latest_.emplace(db_.prepare(
        "INSERT INTO latest_metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, value = excluded.value, "
        "wall_time = excluded.wall_time WHERE excluded.step >= latest_metrics.step"));
  }
  // The newest row of each key, so latest_metrics gets one upsert per key per batch.
  std::unordered_map<std::string, const MetricRow*> latest;
  for (const MetricRow& r : rows) {
    auto& slot = latest[r.key];
    if (!slot || r.step >= slot->step) slot = &r;
  }
  auto bind_row = [run_id](Statement& st, const MetricRow& r) {
    st.bind(1, run_id).bind(2, r.key).bind(3, r.step);
    if (std::isfinite(r.value)) st.bind(4, r.value); else st.bind_null(4);  // SQLite has no NaN
    st.bind(5, r.wall_time);
    st.run();
  };
  Transaction tx(db_);
  for (const MetricRow& r : rows) bind_row(*insert_metric_, r);
  for (const auto& [key, row] : latest) bind_row(*upsert_latest_, *row);
  tx.commit();
}

std::map<std::int64_t, std::map<std::string, double>> SqliteStore::latest_metrics(std::int64_t sweep_id,
                                                                                 const std::string& prefix) {
  std::map<std::int64_t, std::map<std::string, double>> out;
  auto st = db_.prepare(
      "SELECT m.run_id, m.key, m.value FROM latest_metrics m JOIN sweep_runs s ON s.run_id = m.run_id "
      "WHERE s.sweep_id = ? AND substr(m.key, 1, ?) = ? AND m.value IS NOT NULL");
  st.bind(1, sweep_id).bind(2, static_cast<std::int64_t>(prefix.size())).bind(3, prefix);
  while (st.step()) out[st.column_int(0)][st.column_text(1)] = st.column_double(2);
  return out;
}

}  // namespace remix::store
