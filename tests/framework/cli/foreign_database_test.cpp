// A database remix did not write is never changed: every command pointed at another application's SQLite file
// (in rollback mode, and in WAL mode) exits 2 or only reads, and afterwards the file's bytes are the same and
// nothing (-wal, -shm, -journal) was created beside it. Read-only commands on a finished remix database leave
// nothing beside it either, and `remix query` refuses every statement that is not a read, whatever its
// spelling: writes, PRAGMA writable_schema=1, ATTACH.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/sha256.h"
#include "support/test_env.h"

namespace remix {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> beside(const std::string& db) {
  std::vector<std::string> out;
  for (const char* suffix : {"-wal", "-shm", "-journal"})
    if (fs::exists(db + suffix)) out.push_back(db + suffix);
  return out;
}

std::string make_foreign(const test::TempDir& dir, const std::string& name, bool wal) {
  std::string db = dir.file(name);
  std::string sql = std::string(wal ? "PRAGMA journal_mode=WAL;" : "") +
                    "CREATE TABLE photos (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO photos (title) VALUES "
                    "('beach'), ('hills');";
  EXPECT_EQ(test::run_command({"/usr/bin/sqlite3", db, sql}).exit_code, 0);
  EXPECT_TRUE(beside(db).empty());
  return db;
}

TEST(ForeignDatabase, EveryCommandLeavesAnotherApplicationsDatabaseAsItWas) {
  for (bool wal : {false, true}) {
    test::TempDir dir;
    std::string db = make_foreign(dir, wal ? "wal.db" : "rollback.db", wal);
    std::string before = sha256_file_hex(db);
    std::string config = dir.write("exp.yaml", "experiment: {name: f, db: " + db + "}\nrouter: {plugin: test_router}\n"
                                               "tasks: {add: {plugin: test_task}}\n" + test::tiny_trial_yaml(dir));
    std::vector<std::vector<std::string>> refused = {
        {"run", config},
        {"run", config, "--dry-run"},
        {"slurm", config},
        {"worker", "--db", db, "--sweep", "f"},
        {"results", db},
        {"runs", db},
        {"report", db, "-o", dir.file("report.html")},
        {"query", db, "UPDATE photos SET title = 'x'"},
        {"query", db, "PRAGMA writable_schema=1"},
        {"query", db, "PRAGMA journal_mode=DELETE"},
        {"query", db, "ATTACH '" + dir.file("other.db") + "' AS other"},
        {"query", db, "SELECT 1; DROP TABLE photos"},
    };
    for (const auto& args : refused) {
      auto r = test::run_remix_fixtures(args);
      EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << "\n" << r.err;
      EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
    }
    auto read = test::run_remix_fixtures({"query", db, "SELECT title FROM photos ORDER BY id", "--format", "csv"});
    EXPECT_EQ(read.exit_code, 0) << read.err;
    EXPECT_EQ(read.out, "title\nbeach\nhills\n");
    EXPECT_EQ(test::run_remix_fixtures({"query", db, "PRAGMA table_info(photos)"}).exit_code, 0);
    EXPECT_EQ(sha256_file_hex(db), before) << (wal ? "WAL" : "rollback") << " database changed";
    EXPECT_EQ(beside(db), std::vector<std::string>{}) << (wal ? "WAL" : "rollback");
    EXPECT_FALSE(fs::exists(dir.file("other.db")));
  }
}

TEST(ForeignDatabase, ReadingAFinishedRemixDatabaseLeavesNothingBesideIt) {
  test::TempDir dir, copy;
  std::string config = dir.write("exp.yaml", "experiment: {name: r, db: " + dir.file("r.db") + "}\n"
                                              "router: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n" +
                                              test::tiny_trial_yaml(dir));
  ASSERT_EQ(test::run_remix_fixtures({"run", config}).exit_code, 0);
  fs::copy_file(dir.file("r.db"), copy.file("r.db"));  // a copy, as one is sent to a colleague
  std::string db = copy.file("r.db"), before = sha256_file_hex(db);
  for (const auto& args : std::vector<std::vector<std::string>>{{"results", db},
                                                                {"runs", db},
                                                                {"report", db, "-o", copy.file("r.html")},
                                                                {"query", db, "SELECT * FROM runs"}}) {
    auto r = test::run_remix_fixtures(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << "\n" << r.err;
  }
  EXPECT_EQ(sha256_file_hex(db), before);
  EXPECT_EQ(beside(db), std::vector<std::string>{});
}

}  // namespace
}  // namespace remix
