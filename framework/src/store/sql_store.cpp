// The store's records and reads (see sql_store.h); run transitions are in run_lifecycle.cpp. And open_store,
// which picks the engine by the location.
#include "store/sql_store.h"

#include <fmt/format.h>

#include <cmath>
#include <unordered_map>

#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"
#include "remix/errors.h"
#include "store/postgres_session.h"
#include "store/schema.h"

namespace remix::store {

namespace {

SqlValue number_or_null(double v) { return std::isfinite(v) ? SqlValue(v) : SqlValue(std::monostate{}); }

}  // namespace

std::unique_ptr<ResultsStore> open_store(const std::string& location, Access access) {
  return std::make_unique<SqlStore>(open_session(location, access), access);
}

bool is_server_location(const std::string& location) { return is_postgres_uri(location); }

std::string redact_location(const std::string& location) {
  return is_postgres_uri(location) ? redact_uri(location) : location;
}

SqlStore::SqlStore(std::unique_ptr<SqlSession> session, Access access) : session_(std::move(session)) {
  schema_version(*session_);  // refuses another application's database, or a newer remix's, untouched
  if (access == Access::ReadOnly) return;
  session_->prepare_for_writing();
  migrate(*session_);
}

void SqlStore::transact(const std::function<void()>& body) {
  for (int attempt = 1;; ++attempt) {
    try {
      SqlTransaction tx(*session_);
      body();
      tx.commit();
      return;
    } catch (const ConnectionLost& e) {
      if (attempt >= 5) throw;
      log::warn("{}; running the transaction again", e.what());
    }
  }
}

std::int64_t SqlStore::ensure_experiment(const std::string& name) {
  std::int64_t id = 0;
  transact([&] {
    session_->exec("INSERT INTO experiments (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                   {name, now_seconds()});
    id = as_int(session_->query("SELECT id FROM experiments WHERE name = ?", {name}).rows.at(0).at(0));
  });
  return id;
}

std::int64_t SqlStore::find_sweep(const std::string& name) {
  auto found = session_->query("SELECT id FROM sweeps WHERE name = ? ORDER BY id DESC LIMIT 1", {name});
  if (!found.rows.empty()) return as_int(found.rows[0][0]);
  std::vector<std::string> known;
  for (const auto& r : session_->query("SELECT DISTINCT name FROM sweeps ORDER BY name", {}).rows)
    known.push_back(to_text(r[0]));
  throw UserError(fmt::format("{}: no sweep named '{}'{}; sweeps: {}", location(), name, text::did_you_mean(name, known),
                              known.empty() ? "none" : text::join(known, ", ")));
}

std::vector<SweepTrial> SqlStore::sweep_trials(std::int64_t sweep_id) {
  std::vector<SweepTrial> out;
  for (const auto& r : session_->query("SELECT r.id, s.position, r.attempt, r.run_key, coalesce(s.name, r.name), "
                                       "r.status, coalesce(r.error, '') FROM runs r "
                                       "JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = ? ORDER BY s.position",
                                       {sweep_id})
                           .rows)
    out.push_back({as_int(r[0]), as_int(r[1]), as_int(r[2]), to_text(r[3]), to_text(r[4]), to_text(r[5]),
                   to_text(r[6])});
  return out;
}

void SqlStore::insert_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::vector<SqlValue>> rows;
  for (const auto& [k, v] : params) rows.push_back({run_id, k, v});
  session_->exec_many("INSERT INTO params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING",
                      rows);
}

void SqlStore::record_params(std::int64_t run_id, const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::vector<SqlValue>> rows;
  for (const auto& [k, v] : params) rows.push_back({run_id, k, v});
  transact([&] {
    session_->exec_many("INSERT INTO params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) "
                        "DO UPDATE SET value = excluded.value",
                        rows);
  });
}

void SqlStore::record_tags(std::int64_t run_id, const std::map<std::string, std::string>& tags) {
  std::vector<std::vector<SqlValue>> rows;
  for (const auto& [k, v] : tags) rows.push_back({run_id, k, v});
  transact([&] {
    session_->exec_many("INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) "
                        "DO UPDATE SET value = excluded.value",
                        rows);
  });
}

std::map<std::string, std::string> SqlStore::tags(std::int64_t run_id) {
  std::map<std::string, std::string> out;
  for (const auto& r : session_->query("SELECT key, value FROM tags WHERE run_id = ?", {run_id}).rows)
    out[to_text(r[0])] = to_text(r[1]);
  return out;
}

void SqlStore::record_preview_sources(std::int64_t preview_run_id, const std::vector<PreviewSource>& sources) {
  std::vector<std::vector<SqlValue>> rows;
  for (const auto& s : sources) rows.push_back({preview_run_id, s.run_id, s.task, s.weight});
  transact([&] {
    session_->exec_many("INSERT INTO preview_sources (preview_run_id, source_run_id, task, weight) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT DO NOTHING",
                        rows);
  });
}

std::int64_t SqlStore::add_artifact(std::int64_t run_id, const std::string& kind, const std::string& path,
                                    std::optional<std::int64_t> step, const std::string& sha256, std::int64_t bytes) {
  std::int64_t id = 0;
  transact([&] {
    id = as_int(session_
                    ->query("INSERT INTO artifacts (run_id, kind, path, step, sha256, bytes, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            {run_id, kind, path, step ? SqlValue(*step) : SqlValue(std::monostate{}), sha256, bytes,
                             now_seconds()})
                    .rows.at(0)
                    .at(0));
  });
  return id;
}

void SqlStore::write_metrics(std::int64_t run_id, const std::vector<MetricRow>& rows) {
  if (rows.empty()) return;
  // The last row of each (key, step) wins, as if each were written in turn; and the newest step of each key
  // moves latest_metrics once.
  std::map<std::pair<std::string, std::int64_t>, const MetricRow*> last;
  std::unordered_map<std::string, const MetricRow*> newest;
  for (const MetricRow& r : rows) {
    last[{r.key, r.step}] = &r;
    auto& slot = newest[r.key];
    if (!slot || r.step >= slot->step) slot = &r;
  }
  std::vector<std::vector<SqlValue>> metric_rows, latest_rows;
  for (const auto& [k, r] : last) metric_rows.push_back({run_id, r->key, r->step, number_or_null(r->value), r->wall_time});
  for (const auto& [k, r] : newest)
    latest_rows.push_back({run_id, r->key, r->step, number_or_null(r->value), r->wall_time});
  transact([&] {
    session_->exec_many("INSERT INTO metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value, "
                        "wall_time = excluded.wall_time",
                        metric_rows);
    session_->exec_many("INSERT INTO latest_metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, value = excluded.value, "
                        "wall_time = excluded.wall_time WHERE excluded.step >= latest_metrics.step",
                        latest_rows);
  });
}

void SqlStore::write_outcomes(std::int64_t run_id, const std::string& metric, std::int64_t step,
                              const std::vector<double>& scores) {
  std::vector<std::vector<SqlValue>> rows;
  for (std::size_t i = 0; i < scores.size(); ++i)
    rows.push_back({run_id, metric, step, static_cast<std::int64_t>(i), scores[i]});
  transact([&] {
    session_->exec("DELETE FROM eval_outcomes WHERE run_id = ? AND metric = ? AND step = ?", {run_id, metric, step});
    session_->exec_many("INSERT INTO eval_outcomes (run_id, metric, step, example, score) VALUES (?, ?, ?, ?, ?)",
                        rows);
  });
}

std::map<std::int64_t, std::map<std::string, double>> SqlStore::latest_metrics(std::int64_t sweep_id,
                                                                              const std::string& prefix) {
  std::map<std::int64_t, std::map<std::string, double>> out;
  for (const auto& r : session_->query("SELECT m.run_id, m.key, m.value FROM latest_metrics m JOIN sweep_runs s ON "
                                       "s.run_id = m.run_id WHERE s.sweep_id = ? AND substr(m.key, 1, ?) = ? AND "
                                       "m.value IS NOT NULL",
                                       {sweep_id, static_cast<std::int64_t>(prefix.size()), prefix})
                           .rows)
    out[as_int(r[0])][to_text(r[1])] = as_double(r[2]);
  return out;
}

QueryResult SqlStore::read(const std::string& sql, const std::vector<SqlValue>& params) {
  return session_->query(sql, params);
}

}  // namespace remix::store
