// Multi-process safety of the store, with real processes (tests/fixtures/store_writer): two writers on one
// database never see "database is locked", and a writer killed with SIGKILL mid-write leaves a database that
// opens, passes integrity_check and holds every row it reported committed.
#include <gtest/gtest.h>

#include <csignal>

#include "store/query.h"
#include "store/results_store.h"
#include "support/test_env.h"

namespace remix::store {
namespace {

std::int64_t count_rows(const std::string& path, const std::string& where) {
  auto r = query_readonly(path, "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE " + where);
  return std::get<std::int64_t>(r.rows.at(0).at(0));
}

TEST(StoreConcurrency, TwoWritersOnOneDatabase) {
  test::TempDir dir;
  std::string path = dir.file("shared.db");
  // Both start on a database that does not exist yet: creation and migration race too.
  test::ChildProcess a({test::store_writer_bin(), path, "writer-a", "20000", "50"});
  test::ChildProcess b({test::store_writer_bin(), path, "writer-b", "20000", "50"});
  std::string last_a, last_b;
  while (auto line = a.read_line()) last_a = *line;
  while (auto line = b.read_line()) last_b = *line;
  EXPECT_EQ(a.wait(), 0);
  EXPECT_EQ(b.wait(), 0);
  EXPECT_EQ(last_a, "done 20000");
  EXPECT_EQ(last_b, "done 20000");
  EXPECT_EQ(count_rows(path, "r.run_key = 'writer-a'"), 20000);
  EXPECT_EQ(count_rows(path, "r.run_key = 'writer-b'"), 20000);
  auto status = query_readonly(path, "SELECT count(*) FROM runs WHERE status = 'completed'");
  EXPECT_EQ(std::get<std::int64_t>(status.rows[0][0]), 2);
}

TEST(StoreConcurrency, KilledWriterLeavesEveryCommittedRow) {
  test::TempDir dir;
  std::string path = dir.file("crash.db");
  std::int64_t committed = 0;
  {
    test::ChildProcess w({test::store_writer_bin(), path, "victim", "0", "37"});
    while (auto line = w.read_line()) {
      if (line->rfind("committed ", 0) == 0) committed = std::stoll(line->substr(10));
      if (committed >= 37 * 60) break;  // well into the run, and writing continuously
    }
    w.kill(SIGKILL);
    EXPECT_EQ(w.wait(), -SIGKILL);
  }
  ASSERT_GT(committed, 0);
  auto check = query_readonly(path, "PRAGMA integrity_check");
  EXPECT_EQ(std::get<std::string>(check.rows.at(0).at(0)), "ok");
  EXPECT_GE(count_rows(path, "r.run_key = 'victim'"), committed);
  auto reopened = open_store(path, Access::ReadWrite);  // and it is writable again
  auto run = reopened->find_run("victim");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, "running");  // nobody marked it; the sweep runner's heartbeat check will
}

}  // namespace
}  // namespace remix::store
