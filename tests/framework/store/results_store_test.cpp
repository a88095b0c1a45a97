// The results store on both engines (a real SQLite file, a real PostgreSQL server): round trip of runs, params,
// tags, metrics and artifacts, and the recorder's batches. Then SQLite's own: schema versions and migration,
// WAL, and the bad databases (missing folder, not SQLite, newer schema) refused without changing a byte. The run
// lifecycle's transitions are in run_lifecycle_test.cpp, the PostgreSQL server's bad inputs in
// postgres_store_test.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "remix/errors.h"
#include "store/query.h"
#include "store/recorder.h"
#include "store/schema.h"
#include "store/sqlite_session.h"
#include "support/store_backends.h"
#include "support/test_env.h"

namespace remix::store {
namespace {

class StoreRecords : public test::StoreBackendTest {
 protected:
  std::int64_t count(ResultsStore& store, const std::string& query) {
    return std::get<std::int64_t>(sql(store, query).rows.at(0).at(0));
  }
};

TEST_P(StoreRecords, RoundTripsRunsParamsTagsMetricsArtifacts) {
  std::int64_t run_id;
  {
    auto store = open(Access::Create);
    auto& db = *store;
    auto exp = db.ensure_experiment("exp");
    EXPECT_EQ(db.ensure_experiment("exp"), exp);
    auto [id, created] = db.register_run(exp, {"key1", "seed=0", "trial", R"({"seed":0})", {}});
    EXPECT_TRUE(created);
    EXPECT_EQ(db.register_run(exp, {"key1", "seed=0", "trial", "{}", {}}), std::make_pair(id, false));
    run_id = id;
    db.begin_attempt(run_id);
    db.record_params(run_id, {{"seed", "0"}, {"model.dim", "128"}});
    db.record_tags(run_id, {{"remix.version", "0.1.0"}, {"host", "h"}});
    db.add_artifact(run_id, "checkpoint", "/x/ckpt.pt", 10, "abc", 123);
    MetricsRecorder rec(db, run_id);
    rec.log("loss", 0, 2.5);
    rec.log("loss", 1, 2.0);
    rec.log("loss", 1, 1.5);  // same step again: replaced, as a resumed run does
    rec.log("ess", 0, std::nan(""));
    rec.flush();
    EXPECT_EQ(rec.pending(), 0u);
    db.complete(run_id);
  }
  auto store = open(Access::ReadWrite);
  auto& db = *store;
  auto run = db.run(run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, "completed");
  EXPECT_EQ(run->attempt, 1);
  EXPECT_EQ(run->name, "seed=0");
  EXPECT_EQ(run->config, R"({"seed":0})");
  EXPECT_GT(run->ended_at, 0);
  EXPECT_EQ(db.tags(run_id).at("host"), "h");
  EXPECT_EQ(count(db, "SELECT count(*) FROM params"), 2);
  EXPECT_EQ(count(db, "SELECT count(*) FROM metrics WHERE key = 'loss'"), 2);
  auto q = sql(db, "SELECT value FROM metrics WHERE key = 'loss' AND step = 1");
  EXPECT_EQ(std::get<double>(q.rows.at(0).at(0)), 1.5);
  q = sql(db, "SELECT step, value FROM latest_metrics WHERE key = 'loss'");
  EXPECT_EQ(std::get<std::int64_t>(q.rows.at(0).at(0)), 1);
  q = sql(db, "SELECT value FROM metrics WHERE key = 'ess'");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(q.rows.at(0).at(0)));  // NaN stored as NULL
  EXPECT_EQ(count(db, "SELECT count(*) FROM artifacts WHERE step = 10 AND bytes = 123"), 1);
  EXPECT_EQ(open(Access::ReadOnly)->run(run_id)->status, "completed");
  EXPECT_THROW(open(Access::ReadOnly)->ensure_experiment("another"), StoreError);  // read-only refuses writes
}

TEST_P(StoreRecords, RecorderFlushesWhenBufferIsFullAndOnDestruction) {
  auto store = open();
  auto& db = *store;
  auto [run_id, created] = db.register_run(db.ensure_experiment("e"), {"k", "k", "trial", "{}", {}});
  {
    MetricsRecorder rec(db, run_id, /*flush_rows=*/10, /*flush_seconds=*/1e9);
    for (int i = 0; i < 25; ++i) rec.log("x", i, i);
    EXPECT_EQ(rec.pending(), 5u);
    EXPECT_EQ(count(db, "SELECT count(*) FROM metrics"), 20);
  }
  EXPECT_EQ(count(db, "SELECT count(*) FROM metrics"), 25);
  EXPECT_EQ(count(db, "SELECT step FROM latest_metrics WHERE key = 'x'"), 24);
}

REMIX_STORE_BACKENDS(StoreRecords);

std::int64_t count(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.column_int(0);
}

TEST(ResultsStore, NewDatabaseHasCurrentSchemaVersionAndWal) {
  test::TempDir dir;
  open_store(dir.file("r.db"), Access::Create);
  SqliteSession session(dir.file("r.db"), Access::ReadWrite);
  EXPECT_EQ(schema_version(session), kSchemaVersion);
  auto st = session.database().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "wal");
  open_store(dir.file("r.db"), Access::ReadWrite);  // reopening migrates nothing
  EXPECT_EQ(count(session.database(), "SELECT count(*) FROM schema_version"), kSchemaVersion);  // one row per migration
}

TEST(ResultsStore, RefusesMissingDirectory) {
  try {
    open_store("/nonexistent-dir/sub/r.db", Access::Create);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("the directory '/nonexistent-dir/sub' does not exist"), std::string::npos)
        << e.what();
  }
}

TEST(ResultsStore, RefusesNonSqliteFileWithoutTouchingIt) {
  test::TempDir dir;
  std::string content = "step,loss\n1,2.5\n" + std::string(5000, 'x');
  std::string path = dir.write("results.csv", content);
  try {
    open_store(path, Access::Create);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": not a SQLite database"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::read_file(path), content);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  EXPECT_THROW(query_readonly(path, "SELECT 1"), StoreError);
}

TEST(ResultsStore, RefusesNewerSchemaWithoutTouchingIt) {
  test::TempDir dir;
  std::string path = dir.file("r.db");
  open_store(path, Access::Create);
  SqliteSession(path, Access::ReadWrite).database().exec("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)");
  auto before = test::read_file(path);
  for (auto access : {Access::ReadWrite, Access::ReadOnly}) try {
    open_store(path, access);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("schema version 99 is newer than this remix supports ({})", kSchemaVersion)),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(query_readonly(path, "SELECT 1"), StoreError);
  EXPECT_EQ(test::read_file(path), before);
}

TEST(ResultsStore, RefusesSqliteDatabaseOfAnotherApplication) {
  test::TempDir dir;
  std::string path = dir.file("other.db");
  {
    Database db(path, Database::Mode::ReadWrite);
    db.exec("CREATE TABLE photos (id INTEGER)");
  }
  EXPECT_THROW(open_store(path, Access::ReadWrite), StoreError);
  EXPECT_THROW(open_store(path, Access::ReadOnly), StoreError);
  EXPECT_EQ(query_readonly(path, "SELECT count(*) AS n FROM photos").columns.at(0), "n");  // still queryable
}

TEST(ResultsStore, OpeningAMissingStoreCreatesItOnlyWhenAsked) {
  test::TempDir dir;
  for (auto access : {Access::ReadWrite, Access::ReadOnly}) {
    auto msg = test::error_message<StoreError>([&] { open_store(dir.file("none.db"), access); });
    EXPECT_NE(msg.find(dir.file("none.db") + ": no such results database"), std::string::npos) << msg;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.db")));
  EXPECT_EQ(open_store(dir.file("new.db"), Access::Create)->location(), dir.file("new.db"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("new.db")));
}

TEST(ResultsStore, AReadOnlyStoreRefusesWrites) {
  test::TempDir dir;
  open_store(dir.file("r.db"), Access::Create)->ensure_experiment("e");
  auto store = open_store(dir.file("r.db"), Access::ReadOnly);
  EXPECT_THROW(store->ensure_experiment("other"), StoreError);
  EXPECT_FALSE(store->find_run("nope"));
}

}  // namespace
}  // namespace remix::store
