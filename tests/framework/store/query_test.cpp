// `query_readonly` reads and refuses to write: every kind of writing statement is rejected with a message,
// and the database is unchanged afterwards.
#include <gtest/gtest.h>

#include "remix/errors.h"
#include "store/query.h"
#include "store/results_store.h"
#include "support/test_env.h"

namespace remix::store {
namespace {

TEST(Query, ReadsColumnsAndRows) {
  test::TempDir dir;
  std::string path = dir.file("r.db");
  {
    auto db = open_store(path, Access::Create);
    db->register_run(db->ensure_experiment("e"), {"k", "name", "trial", "{}", {}});
  }
  auto r = query_readonly(path, "SELECT name, status, attempt FROM runs");
  EXPECT_EQ(r.columns, (std::vector<std::string>{"name", "status", "attempt"}));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(r.rows[0][1]), "pending");
  EXPECT_EQ(std::get<std::int64_t>(r.rows[0][2]), 0);
}

TEST(Query, RefusesEveryWritingStatement) {
  test::TempDir dir;
  std::string path = dir.file("r.db");
  {
    auto db = open_store(path, Access::Create);
    db->register_run(db->ensure_experiment("e"), {"k", "name", "trial", "{}", {}});
  }
  for (const char* sql : {"DELETE FROM runs", "UPDATE runs SET status = 'failed'", "INSERT INTO experiments "
                          "(name, created_at) VALUES ('x', 0)", "DROP TABLE metrics", "CREATE TABLE t (x)",
                          "SELECT 1; DELETE FROM runs", "PRAGMA user_version = 3", "VACUUM"}) {
    try {
      query_readonly(path, sql);
      ADD_FAILURE() << "accepted: " << sql;
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << sql << ": " << e.what();
    }
  }
  auto r = query_readonly(path, "SELECT count(*), max(status) FROM runs");
  EXPECT_EQ(std::get<std::int64_t>(r.rows[0][0]), 1);
  EXPECT_EQ(std::get<std::string>(r.rows[0][1]), "pending");
}

TEST(Query, ReportsSqlErrorsAndMissingDatabase) {
  test::TempDir dir;
  open_store(dir.file("r.db"), Access::Create);
  EXPECT_THROW(query_readonly(dir.file("r.db"), "SELEC 1"), StoreError);
  EXPECT_THROW(query_readonly(dir.file("absent.db"), "SELECT 1"), StoreError);
  EXPECT_FALSE(std::filesystem::exists(dir.file("absent.db")));  // a read never creates a database
}

}  // namespace
}  // namespace remix::store
