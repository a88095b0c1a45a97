// Schema migrations on both engines. 1 → 2 (multitask previews): a database written by a remix of schema 1, with
// runs and the rows that refer to them, is migrated when opened for writing; every row and reference is kept,
// the new run kind and preview_sources work, and reading it read-only before that changes nothing. 2 → 3 (per-example
// eval outcomes): the table appears, an evaluation recorded again replaces its outcomes, and a run it does not know
// is refused. 3 → 4 (a sweep's own names for its trials): links written before go by the run's name, and a sweep
// registered again names its shared trials its own way.
#include <gtest/gtest.h>

#include "store/schema.h"
#include "store/sql_session.h"
#include "support/store_backends.h"

namespace remix::store {
namespace {

class SchemaMigration : public test::StoreBackendTest {
 protected:
  std::int64_t count(SqlSession& s, const std::string& q) { return std::get<std::int64_t>(s.query(q, {}).rows.at(0).at(0)); }
};

TEST_P(SchemaMigration, Version1DatabaseIsMigratedKeepingEveryRow) {
  {
    auto session = open_session(location(), Access::Create);
    migrate_to(*session, 1);
    ASSERT_EQ(schema_version(*session), 1);
    // Ids as the engines hand them out (1, 2, ... in a new database), so that later inserts continue after them.
    session->exec("INSERT INTO experiments (name, created_at) VALUES ('old', 1.0)", {});
    session->exec("INSERT INTO sweeps (experiment_id, name, spec, created_at) VALUES (1, 'old', '{}', 1.0)", {});
    for (int id : {1, 2})
      session->exec("INSERT INTO runs (run_key, experiment_id, name, kind, status, created_at, config) VALUES "
                    "(?, 1, ?, ?, 'completed', 1.0, '{}')",
                    {"key" + std::to_string(id), "run" + std::to_string(id), std::string(id == 1 ? "pretrain" : "trial")});
    session->exec("INSERT INTO sweep_runs (sweep_id, run_id, position) VALUES (1, 2, 0)", {});
    session->exec("INSERT INTO metrics (run_id, key, step, value, wall_time) VALUES (2, 'loss', 1, 0.5, 1.0)", {});
    session->exec("INSERT INTO latest_metrics (run_id, key, step, value, wall_time) VALUES (2, 'loss', 1, 0.5, 1.0)", {});
    session->exec("INSERT INTO tags (run_id, key, value) VALUES (2, 'host', 'h')", {});
    session->exec("INSERT INTO artifacts (run_id, kind, path, created_at) VALUES (2, 'checkpoint', '/c', 1.0)", {});
  }
  {  // Read-only: nothing migrates.
    auto reader = open(Access::ReadOnly);
    auto session = open_session(location(), Access::ReadOnly);
    EXPECT_EQ(schema_version(*session), 1);
  }
  auto store = open(Access::ReadWrite);
  auto& s = dynamic_cast<SqlStore&>(*store).session();
  EXPECT_EQ(schema_version(s), kSchemaVersion);
  EXPECT_EQ(count(s, "SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(count(s, "SELECT max(id) FROM runs"), 2);
  EXPECT_EQ(count(s, "SELECT count(*) FROM runs WHERE kind = 'pretrain' AND name = 'run1'"), 1);
  for (const char* table : {"sweep_runs", "metrics", "latest_metrics", "tags", "artifacts"})
    EXPECT_EQ(count(s, std::string("SELECT count(*) FROM ") + table + " WHERE run_id = 2"), 1) << table;

  // The new kind and table, with their references.
  auto experiment = store->ensure_experiment("old");
  EXPECT_EQ(experiment, 1);
  auto [preview, fresh] = store->register_run(experiment, {"preview-key", "rule=arithmetic", "preview", "{}", {}});
  ASSERT_TRUE(fresh);
  EXPECT_GT(preview, 2);  // ids continue after the migrated rows
  store->record_preview_sources(preview, {{2, "math", 1.0}});
  store->record_preview_sources(preview, {{2, "math", 1.0}});  // recorded once
  EXPECT_EQ(count(s, "SELECT count(*) FROM preview_sources WHERE source_run_id = 2"), 1);
  EXPECT_THROW(store->record_preview_sources(preview, {{999, "math", 1.0}}), StoreError);  // no such run
  EXPECT_THROW(store->register_run(experiment, {"k2", "x", "nonsense", "{}", {}}), StoreError);  // CHECK kept
}

TEST_P(SchemaMigration, Version2DatabaseGetsPerExampleOutcomes) {
  {
    auto session = open_session(location(), Access::Create);
    migrate_to(*session, 2);
    session->exec("INSERT INTO experiments (name, created_at) VALUES ('old', 1.0)", {});
    session->exec("INSERT INTO runs (run_key, experiment_id, name, kind, status, created_at, config) VALUES "
                  "('k', 1, 'r', 'trial', 'completed', 1.0, '{}')", {});
  }
  auto store = open(Access::ReadWrite);
  auto& s = dynamic_cast<SqlStore&>(*store).session();
  EXPECT_EQ(schema_version(s), kSchemaVersion);
  store->write_outcomes(1, "eval/math/exact_match", 10, {1.0, 0.0, 1.0});
  store->write_outcomes(1, "eval/math/exact_match", 20, {0.0, 0.0, 1.0});
  store->write_outcomes(1, "eval/math/exact_match", 20, {1.0, 1.0});  // evaluated again (a resumed run): replaced
  EXPECT_EQ(count(s, "SELECT count(*) FROM eval_outcomes WHERE step = 10"), 3);
  EXPECT_EQ(count(s, "SELECT count(*) FROM eval_outcomes WHERE step = 20"), 2);
  auto sum = s.query("SELECT sum(score) FROM eval_outcomes WHERE step = 20 AND metric = 'eval/math/exact_match'", {});
  EXPECT_DOUBLE_EQ(std::get<double>(sum.rows.at(0).at(0)), 2.0);
  EXPECT_THROW(store->write_outcomes(999, "eval/math/exact_match", 1, {1.0}), StoreError);  // no such run
}

TEST_P(SchemaMigration, Version3SweepLinksKeepTheRunsNamesUntilTheSweepIsRegisteredAgain) {
  {
    auto session = open_session(location(), Access::Create);
    migrate_to(*session, 3);
    session->exec("INSERT INTO experiments (name, created_at) VALUES ('old', 1.0)", {});
    for (const char* sweep : {"first", "second"})
      session->exec("INSERT INTO sweeps (experiment_id, name, spec, created_at) VALUES (1, ?, '{}', 1.0)",
                    {std::string(sweep)});
    session->exec("INSERT INTO runs (run_key, experiment_id, name, kind, status, created_at, config) VALUES "
                  "('k', 1, 'variant=a seed=0', 'trial', 'completed', 1.0, '{}')", {});
    session->exec("INSERT INTO sweep_runs (sweep_id, run_id, position) VALUES (1, 1, 0), (2, 1, 0)", {});
  }
  auto store = open(Access::ReadWrite);
  EXPECT_EQ(schema_version(dynamic_cast<SqlStore&>(*store).session()), kSchemaVersion);
  EXPECT_EQ(store->sweep_trials(2).at(0).name, "variant=a seed=0");
  auto second = store->register_sweep(1, "second", "{}", {{"k", "variant=b seed=0", "trial", "{}", {}}});
  EXPECT_EQ(second, 2);
  EXPECT_EQ(store->sweep_trials(2).at(0).name, "variant=b seed=0");
  EXPECT_EQ(store->sweep_trials(1).at(0).name, "variant=a seed=0");
  EXPECT_EQ(store->run(1)->name, "variant=a seed=0");  // the run keeps its first name
  EXPECT_EQ(store->sweep_trials(2).at(0).status, "completed");
}

REMIX_STORE_BACKENDS(SchemaMigration);

}  // namespace
}  // namespace remix::store
