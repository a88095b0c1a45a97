// Workers end to end through the `remix` binary and the real fixture plugins: a trial whose plugin
// segfaults, aborts or throws fails alone with its error recorded while the others complete; re-running
// skips completed trials (and failed ones unless asked); two concurrent `remix run`s run every trial once;
// stale and orphaned trials are re-queued; a dry run writes nothing; a trial shared by two sweeps records
// neither sweep's block; bad shard/jobs values exit 2.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/query.h"
#include "sweep/trial_process.h"
#include "support/test_env.h"

namespace remix {
namespace {

struct Fixture {
  test::TempDir dir;
  std::string db = dir.file("r.db");
  std::string cfg = dir.write("exp.yaml", "experiment: {name: w, db: " + db +
                                              "}\nrouter: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n" +
                                              test::tiny_trial_yaml(dir));
  test::CommandResult remix(std::vector<std::string> args) const { return test::run_remix_fixtures(std::move(args)); }
  std::vector<std::vector<store::SqlValue>> rows(const std::string& sql) const {
    return store::query_readonly(db, sql).rows;
  }
};

std::string text(const store::SqlValue& v) { return store::to_text(v); }

bool is_zombie(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto end = stat.rfind(')');
  return end != std::string::npos && end + 2 < stat.size() && stat[end + 2] == 'Z';
}

TEST(Worker, CrashingTrialFailsAloneWithItsError) {
  Fixture f;
  auto r = f.remix({"run", f.cfg, "tasks.add.fail=none,segfault,abort,throw", "-j", "2"});
  EXPECT_NE(r.exit_code, 0);
  auto rows = f.rows("SELECT name, status, coalesce(error, ''), attempt FROM runs WHERE kind = 'trial' ORDER BY id");
  ASSERT_EQ(rows.size(), 4u) << r.err;
  EXPECT_EQ(text(rows[0][1]), "completed");
  EXPECT_EQ(text(rows[1][1]), "failed");
  EXPECT_NE(text(rows[1][2]).find("killed by signal 11"), std::string::npos) << text(rows[1][2]);
  EXPECT_EQ(text(rows[2][1]), "failed");
  EXPECT_NE(text(rows[2][2]).find("killed by signal 6"), std::string::npos) << text(rows[2][2]);
  EXPECT_EQ(text(rows[3][1]), "failed");
  EXPECT_NE(text(rows[3][2]).find("test_task was told to fail"), std::string::npos) << text(rows[3][2]);
  // What the crashed trial printed before it died is recorded with it.
  auto tail = f.rows("SELECT coalesce(stderr_tail, '') FROM runs WHERE name LIKE '%segfault%'");
  EXPECT_NE(text(tail[0][0]).find("starting"), std::string::npos) << text(tail[0][0]);

  // Re-running skips the completed trial and the failed ones; --retry-failed runs the failed ones again.
  f.remix({"run", f.cfg, "tasks.add.fail=none,segfault,abort,throw"});
  auto attempts = f.rows("SELECT attempt FROM runs WHERE kind = 'trial' ORDER BY id");
  for (const auto& a : attempts) EXPECT_EQ(std::get<std::int64_t>(a[0]), 1);
  f.remix({"run", f.cfg, "tasks.add.fail=none,segfault,abort,throw", "--retry-failed"});
  attempts = f.rows("SELECT attempt FROM runs WHERE kind = 'trial' ORDER BY id");
  EXPECT_EQ(std::get<std::int64_t>(attempts[0][0]), 1);
  EXPECT_EQ(std::get<std::int64_t>(attempts[1][0]), 2);
}

// A trial that aborted is a zombie until its worker reaps it and records the crash; a claim in between (the
// same worker's other job, or a second worker on the host) must not take it for an orphan and mark it
// `interrupted`, which turned the crash into a resumable trial (seen in CI as "interrupted", attempt 2).
TEST(Worker, AnExitedTrialNotYetReapedIsNotAnOrphan) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(1);
  for (int i = 0; i < 500 && !is_zombie(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(is_zombie(pid));
  // Its parent, this test binary, runs the same program as the process asking and will reap it, as a worker
  // about to record how its trial ended.
  EXPECT_TRUE(sweep::trial_process_alive(pid, 7));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_FALSE(sweep::trial_process_alive(pid, 7));
  // A live process that is not remix is not a trial's, whatever its pid was once.
  test::ChildProcess other({"/bin/sleep", "5"});
  EXPECT_FALSE(sweep::trial_process_alive(other.pid(), 7));
}

TEST(Worker, AnExitedTrialWhoseWorkerDiedIsAnOrphan) {
  // When a whole `remix run` is killed, its trials go to an init that may never reap them (a container's PID 1):
  // they stay zombies for good, and taking them for running trials would leave them `running` for ever (the CI
  // failure of Trial.SigkillAtARandomStepResumesToTheSameMetrics). Here the parent that never reaps is a `sleep`;
  // Trial.SigkillAtARandomStepResumesToTheSameMetrics checks the whole case.
  test::ChildProcess parent({"/bin/sh", "-c", "sleep 0 & echo $!; exec sleep 5"});
  auto line = parent.read_line();
  ASSERT_TRUE(line.has_value());
  pid_t zombie = std::stoi(*line);
  for (int i = 0; i < 500 && !is_zombie(zombie); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(is_zombie(zombie));
  EXPECT_FALSE(sweep::trial_process_alive(zombie, 7));
}

TEST(Worker, TwoConcurrentRunsRunEveryTrialOnce) {
  Fixture f;
  std::vector<std::string> args = {test::remix_bin(), "--plugin-path", test::test_plugin_dir(), "run", f.cfg,
                                   "seed=0,1,2,3,4,5,6,7,8,9,10,11"};
  test::ChildProcess a(args), b(args);
  while (a.read_line()) {
  }
  while (b.read_line()) {
  }
  EXPECT_EQ(a.wait(), 0);
  EXPECT_EQ(b.wait(), 0);
  auto rows = f.rows("SELECT status, attempt FROM runs WHERE kind = 'trial'");
  ASSERT_EQ(rows.size(), 12u);
  for (const auto& r : rows) {
    EXPECT_EQ(text(r[0]), "completed");
    EXPECT_EQ(std::get<std::int64_t>(r[1]), 1);  // nobody ran a trial twice
  }
}

TEST(Worker, StaleAndOrphanedTrialsAreRequeued) {
  Fixture f;
  ASSERT_EQ(f.remix({"run", f.cfg, "seed=0,1"}).exit_code, 0);
  // Trial 1: claimed by a worker on another host that stopped sending heartbeats long ago.
  // Trial 2: claimed on this host by a process that no longer exists.
  ASSERT_EQ(test::run_command({"/usr/bin/sqlite3", f.db,
                               "UPDATE runs SET status = 'running', host = 'elsewhere', heartbeat = 0 WHERE id = 1; "
                               "UPDATE runs SET status = 'running', host = (SELECT host FROM runs WHERE id = 2), "
                               "pid = 999999, heartbeat = strftime('%s', 'now') WHERE id = 2;"})
                .exit_code,
            0);
  auto r = f.remix({"run", f.cfg, "seed=0,1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rows = f.rows("SELECT status, attempt FROM runs WHERE kind = 'trial' ORDER BY id");
  for (const auto& row : rows) {
    EXPECT_EQ(text(row[0]), "completed");
    EXPECT_EQ(std::get<std::int64_t>(row[1]), 2);
  }
  // A fresh heartbeat from another host is someone else's running trial: left alone.
  test::run_command({"/usr/bin/sqlite3", f.db,
                     "UPDATE runs SET status = 'running', host = 'elsewhere', heartbeat = strftime('%s', 'now') "
                     "WHERE id = 1"});
  f.remix({"run", f.cfg, "seed=0,1"});
  EXPECT_EQ(std::get<std::int64_t>(f.rows("SELECT attempt FROM runs WHERE id = 1")[0][0]), 2);
}

TEST(Worker, DryRunWritesNothingAndShowsDoneTrials) {
  Fixture f;
  auto r = f.remix({"run", f.cfg, "seed=0,1,2", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 trials, 0 completed, 3 to run"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(f.db));
  ASSERT_EQ(f.remix({"run", f.cfg, "seed=1"}).exit_code, 0);
  r = f.remix({"run", f.cfg, "seed=0,1,2", "--dry-run"});
  EXPECT_NE(r.out.find("3 trials, 1 completed, 2 to run"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seed=1"), std::string::npos);
}

// A named sweep is what its latest definition says: run again for one seed, it leaves the other out of
// `--sweep`'s tables, and says so (the trials stay in the database).
TEST(Worker, ANamedSweepRunAgainForOneSeedWarnsOfTheTrialsItLeavesOut) {
  Fixture f;
  std::string named = f.dir.write("named.yaml", test::read_file(f.cfg) + "sweep: {name: grid}\n");
  auto r = f.remix({"run", named, "seed=0,1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("is redefined"), std::string::npos) << r.err;
  r = f.remix({"run", named, "seed=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: sweep 'grid' is redefined: 1 of its earlier trials (1 completed) are not in it now"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(f.rows("SELECT count(*) FROM runs WHERE kind = 'trial' AND status = 'completed'").at(0).at(0),
            store::SqlValue(std::int64_t{2}));  // nothing lost
  r = f.remix({"run", named, "seed=0,1"});
  EXPECT_EQ(r.err.find("is redefined"), std::string::npos) << r.err;
}

// A trial in two sweeps records neither sweep's definition as its own: its config and params hold what decides its
// result, and sweep_runs says which sweeps it is in (before, the first sweep's block stayed on the shared trial).
TEST(Worker, ATrialSharedByTwoSweepsRecordsNeitherSweepsDefinition) {
  Fixture f;
  std::string first = f.dir.write("first.yaml", test::read_file(f.cfg) + "sweep: {name: first}\n");
  std::string second = f.dir.write("second.yaml", test::read_file(f.cfg) + "sweep: {name: second, seeds: [1, 2]}\n");
  ASSERT_EQ(f.remix({"run", first, "seed=0,1"}).exit_code, 0);
  auto r = f.remix({"run", second});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(f.rows("SELECT count(*) FROM runs WHERE kind = 'trial'").at(0).at(0),
            store::SqlValue(std::int64_t{3}));  // seed 1 ran once, for both
  EXPECT_EQ(f.rows("SELECT count(*) FROM sweep_runs").at(0).at(0), store::SqlValue(std::int64_t{4}));
  EXPECT_EQ(f.rows("SELECT count(*) FROM params WHERE key LIKE 'sweep.%'").at(0).at(0),
            store::SqlValue(std::int64_t{0}));
  for (const auto& row : f.rows("SELECT config FROM runs WHERE kind = 'trial'"))
    EXPECT_FALSE(nlohmann::json::parse(text(row[0])).contains("sweep")) << text(row[0]);
  EXPECT_EQ(f.rows("SELECT count(*) FROM params WHERE key = 'seed'").at(0).at(0), store::SqlValue(std::int64_t{3}));
}

TEST(Worker, BadShardAndJobsExitTwo) {
  Fixture f;
  for (const char* shard : {"3/2", "1", "a/b", "-1/2", "0/0"}) {
    auto r = f.remix({"run", f.cfg, "--shard", shard});
    EXPECT_EQ(r.exit_code, 2) << shard;
    EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
  }
  EXPECT_EQ(f.remix({"run", f.cfg, "--jobs", "0"}).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(f.db));  // nothing recorded
  auto r = f.remix({"worker", "--db", f.db, "--sweep", "nope"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Worker, ShardsSplitTheTrialsDeterministically) {
  Fixture f;
  ASSERT_EQ(f.remix({"run", f.cfg, "seed=0,1,2,3,4", "--shard", "1/2"}).exit_code, 0);
  auto rows = f.rows("SELECT s.position, r.status FROM runs r JOIN sweep_runs s ON s.run_id = r.id ORDER BY s.position");
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& r : rows)
    EXPECT_EQ(text(r[1]), std::get<std::int64_t>(r[0]) % 2 == 1 ? "completed" : "pending");
  auto w = f.remix({"worker", "--db", f.db, "--sweep", "w seed=0,1,2,3,4", "--shard", "0/2"});
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(f.rows("SELECT count(*) FROM runs WHERE kind = 'trial' AND status = 'completed'")[0][0], store::SqlValue(std::int64_t{5}));
}

}  // namespace
}  // namespace remix
