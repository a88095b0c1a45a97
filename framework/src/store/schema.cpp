// Schema DDL and migrations (see schema.h). Migration i takes a database from version i to i + 1; append new
// ones, never edit old ones.
#include "store/schema.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "remix/errors.h"

namespace remix::store {

namespace {

const std::vector<std::string> kMigrations = {
    // 0 -> 1: the initial schema.
    R"sql(
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
)sql",
};

bool has_version_table(const Database& db) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  return st.step();
}

}  // namespace

int schema_version(const Database& db) {
  if (!has_version_table(db)) {
    auto st = db.prepare("SELECT count(*) FROM sqlite_master");
    st.step();
    if (st.column_int(0) != 0)
      throw StoreError(fmt::format("{}: not a remix results database (it has tables but no schema_version)",
                                   db.path()));
    return 0;
  }
  auto st = db.prepare("SELECT max(version) FROM schema_version");
  st.step();
  return static_cast<int>(st.column_int(0));
}

void migrate(Database& db) {
  int version = schema_version(db);
  if (version > kSchemaVersion)
    throw StoreError(fmt::format("{}: database schema version {} is newer than this remix supports ({}); use a "
                                 "newer remix to open it",
                                 db.path(), version, kSchemaVersion));
  if (version == kSchemaVersion) return;
  Transaction tx(db);
  version = schema_version(db);  // another process may have migrated while we waited for the lock
  if (version == 0) db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at REAL NOT NULL)");
  for (int v = version; v < kSchemaVersion; ++v) {
    db.exec(kMigrations.at(static_cast<std::size_t>(v)));
    db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)")
        .bind(1, v + 1)
        .bind(2, now_seconds())
        .run();
  }
  tx.commit();
}

}  // namespace remix::store
