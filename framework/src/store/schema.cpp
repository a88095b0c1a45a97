// Schema DDL and migrations (see schema.h). Migration i takes a database from version i to i + 1; append new
// ones, never edit old ones.
#include "store/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "remix/errors.h"

namespace remix::store {

namespace {

// A migration: what both engines run, written once in SQLite's dialect and restricted to what
// postgres_dialect() translates (INTEGER PRIMARY KEY (a row id), INTEGER, REAL, TEXT, WITHOUT ROWID), so their
// schemas cannot drift apart; and, run before it, what only one engine runs where they must differ.
struct Migration {
  std::string both;
  std::string sqlite_only = "", postgres_only = "";
};

const std::vector<Migration> kMigrations = {
    // 0 -> 1: the initial schema.
    {R"sql(
CREATE TABLE experiments (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  REAL NOT NULL
);
CREATE TABLE sweeps (
  id             INTEGER PRIMARY KEY,
  experiment_id  INTEGER NOT NULL REFERENCES experiments(id),
  name           TEXT NOT NULL,
  spec           TEXT NOT NULL,          -- JSON: the sweep block and command-line axes
  created_at     REAL NOT NULL,
  UNIQUE (experiment_id, name)
);
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  run_key        TEXT NOT NULL UNIQUE,   -- sha256 of the canonical resolved config (the trial key)
  experiment_id  INTEGER NOT NULL REFERENCES experiments(id),
  name           TEXT NOT NULL,          -- human-readable, e.g. "router.plugin=remix seed=1"
  kind           TEXT NOT NULL DEFAULT 'trial' CHECK (kind IN ('trial', 'pretrain')),
  status         TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'completed', 'failed', 'interrupted')),
  attempt        INTEGER NOT NULL DEFAULT 0,
  heartbeat      REAL,
  host           TEXT,
  pid            INTEGER,
  created_at     REAL NOT NULL,
  started_at     REAL,
  ended_at       REAL,
  error          TEXT,
  stderr_tail    TEXT,
  config         TEXT NOT NULL           -- the resolved config, JSON
);
CREATE INDEX runs_by_experiment ON runs(experiment_id, status);
CREATE INDEX runs_by_status ON runs(status, heartbeat);
CREATE TABLE sweep_runs (
  sweep_id  INTEGER NOT NULL REFERENCES sweeps(id),
  run_id    INTEGER NOT NULL REFERENCES runs(id),
  position  INTEGER NOT NULL,            -- order of the trial in the expanded sweep
  PRIMARY KEY (sweep_id, run_id)
) WITHOUT ROWID;
CREATE TABLE params (
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  key     TEXT NOT NULL,                 -- dotted config key
  value   TEXT NOT NULL,                 -- JSON text of the resolved value
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE metrics (
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  key        TEXT NOT NULL,
  step       INTEGER NOT NULL,
  value      REAL,                       -- NULL for NaN / inf (SQLite has no NaN)
  wall_time  REAL NOT NULL,
  PRIMARY KEY (run_id, key, step)        -- a resumed run rewrites the steps it repeats
) WITHOUT ROWID;
CREATE INDEX metrics_by_key ON metrics(key, run_id);
CREATE TABLE latest_metrics (
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  key        TEXT NOT NULL,
  step       INTEGER NOT NULL,
  value      REAL,
  wall_time  REAL NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE tags (
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE artifacts (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  kind        TEXT NOT NULL,             -- checkpoint, base_model, report, ...
  path        TEXT NOT NULL,
  step        INTEGER,
  sha256      TEXT,
  bytes       INTEGER,
  created_at  REAL NOT NULL
);
CREATE INDEX artifacts_by_run ON artifacts(run_id, kind, step);
)sql"},
    // 1 -> 2: multitask previews (preview/): runs of kind 'preview', and the per-task runs each one merged.
    // SQLite cannot change a CHECK in place: the runs table is rebuilt (foreign keys off, see migrate());
    // PostgreSQL changes the constraint.
    {R"sql(
CREATE TABLE preview_sources (
  preview_run_id  INTEGER NOT NULL REFERENCES runs(id),
  source_run_id   INTEGER NOT NULL REFERENCES runs(id),
  task            TEXT NOT NULL,         -- the task the source run trained on alone
  weight          REAL NOT NULL,         -- that task's weight in the previewed weighting
  PRIMARY KEY (preview_run_id, source_run_id)
) WITHOUT ROWID;
)sql",
     R"sql(
CREATE TABLE runs_v2 (
  id             INTEGER PRIMARY KEY,
  run_key        TEXT NOT NULL UNIQUE,
  experiment_id  INTEGER NOT NULL REFERENCES experiments(id),
  name           TEXT NOT NULL,
  kind           TEXT NOT NULL DEFAULT 'trial' CHECK (kind IN ('trial', 'pretrain', 'preview')),
  status         TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'completed', 'failed', 'interrupted')),
  attempt        INTEGER NOT NULL DEFAULT 0,
  heartbeat      REAL,
  host           TEXT,
  pid            INTEGER,
  created_at     REAL NOT NULL,
  started_at     REAL,
  ended_at       REAL,
  error          TEXT,
  stderr_tail    TEXT,
  config         TEXT NOT NULL
);
INSERT INTO runs_v2 SELECT id, run_key, experiment_id, name, kind, status, attempt, heartbeat, host, pid, created_at,
  started_at, ended_at, error, stderr_tail, config FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;
CREATE INDEX runs_by_experiment ON runs(experiment_id, status);
CREATE INDEX runs_by_status ON runs(status, heartbeat);
)sql",
     R"sql(
ALTER TABLE runs DROP CONSTRAINT runs_kind_check;
ALTER TABLE runs ADD CONSTRAINT runs_kind_check CHECK (kind IN ('trial', 'pretrain', 'preview'));
)sql"},
    // 2 -> 3: per-example outcomes of every evaluation (what paired comparisons resample).
    {R"sql(
CREATE TABLE eval_outcomes (
  run_id   INTEGER NOT NULL REFERENCES runs(id),
  metric   TEXT NOT NULL,                -- the eval metric they average to, e.g. "math/exact_match"
  step     INTEGER NOT NULL,
  example  INTEGER NOT NULL,             -- the example's place in the task's eval examples
  score    REAL NOT NULL,
  PRIMARY KEY (run_id, metric, step, example)
) WITHOUT ROWID;
)sql"},
    // 3 -> 4: a trial two sweeps share (the same run key) is named by each sweep as that sweep's expansion names it
    // ("variant=lora-rank-32-searched seed=3" in one, "variant=lora-rank-32 train.lr=3.0e-3 seed=3" in the other);
    // the run keeps the name it was first registered with. NULL: the run's name (links written before).
    {R"sql(
ALTER TABLE sweep_runs ADD COLUMN name TEXT;
)sql"},
};

// SQLite's DDL as PostgreSQL's: row ids become identity columns, INTEGER 64-bit BIGINT (SQLite's integers are
// 64-bit), REAL DOUBLE PRECISION (PostgreSQL's REAL is 32-bit), and WITHOUT ROWID (SQLite's alone) goes.
std::string postgres_dialect(std::string ddl) {
  ddl = std::regex_replace(ddl, std::regex(R"(\bINTEGER PRIMARY KEY\b)"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  ddl = std::regex_replace(ddl, std::regex(R"(\bINTEGER\b)"), "BIGINT");
  ddl = std::regex_replace(ddl, std::regex(R"(\bREAL\b)"), "DOUBLE PRECISION");
  return std::regex_replace(ddl, std::regex(R"(\)\s*WITHOUT ROWID;)"), ");");
}

}  // namespace

std::optional<int> remix_schema_version(SqlSession& session) {
  auto tables = session.tables();
  if (std::find(tables.begin(), tables.end(), "schema_version") == tables.end()) {
    if (tables.empty()) return 0;
    return std::nullopt;  // a database of another application
  }
  auto r = session.query("SELECT max(version) FROM schema_version", {});
  const auto& v = r.rows.at(0).at(0);
  return std::holds_alternative<std::int64_t>(v) ? static_cast<int>(std::get<std::int64_t>(v)) : 0;
}

int schema_version(SqlSession& session) {
  auto version = remix_schema_version(session);
  if (!version)
    throw StoreError(fmt::format("{}: not a remix results database (it has tables but no schema_version)",
                                 session.location()));
  if (*version > kSchemaVersion)
    throw StoreError(fmt::format("{}: database schema version {} is newer than this remix supports ({}); use a "
                                 "newer remix to open it",
                                 session.location(), *version, kSchemaVersion));
  return *version;
}

void migrate(SqlSession& session) { migrate_to(session, kSchemaVersion); }

void migrate_to(SqlSession& session, int target) {
  if (target > kSchemaVersion || target < 1) throw std::invalid_argument("migrate_to: no such schema version");
  if (schema_version(session) >= target) return;
  bool sqlite = session.dialect() == SqlDialect::Sqlite;
  // SQLite rebuilds a table to change it; with foreign keys on, dropping the old `runs` would check every
  // reference to it. The pragma has no effect inside a transaction, so it goes around it, and the references
  // are checked before the commit instead (SQLite's documented procedure for changing a table).
  if (sqlite) session.exec("PRAGMA foreign_keys=OFF");
  struct KeysBackOn {
    SqlSession& s;
    bool on;
    ~KeysBackOn() {
      if (on) s.exec("PRAGMA foreign_keys=ON");
    }
  } keys_back_on{session, sqlite};
  SqlTransaction tx(session);
  int version = schema_version(session);  // another process may have migrated while we waited for the lock
  auto dialect = [&](const std::string& ddl) { return sqlite ? ddl : postgres_dialect(ddl); };
  if (version == 0) session.exec_script(dialect("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at REAL NOT NULL)"));
  for (int v = version; v < target; ++v) {
    const auto& m = kMigrations.at(static_cast<std::size_t>(v));
    const auto& own = sqlite ? m.sqlite_only : m.postgres_only;
    if (!own.empty()) session.exec_script(own);
    session.exec_script(dialect(m.both));
    session.exec("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                 {static_cast<std::int64_t>(v + 1), now_seconds()});
  }
  if (sqlite && !session.query("PRAGMA foreign_key_check").rows.empty())
    throw StoreError(fmt::format("{}: migrating to schema version {} left broken references; nothing was changed",
                                 session.location(), target));
  tx.commit();
}

}  // namespace remix::store
