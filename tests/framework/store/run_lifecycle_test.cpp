// The life of a run, one transition at a time, through the ResultsStore interface on a real SQLite file:
// registering a sweep (order, params, known trials keep their state), claims (order, shards, exclusions,
// stale heartbeats, dead processes), the ends of an attempt, heartbeats that never revive a finished run, and
// --retry-failed. And the rule that makes the store the one owner of this state machine: no source file
// outside store/sqlite_run_lifecycle.cpp writes the `runs` table.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "remix/errors.h"
#include "store/query.h"
#include "store/results_store.h"
#include "support/test_env.h"

namespace remix::store {
namespace {

struct Fixture {
  test::TempDir dir;
  std::unique_ptr<ResultsStore> store = open_store(dir.file("r.db"), Access::Create);
  std::int64_t experiment = store->ensure_experiment("e");

  std::int64_t sweep_of(const std::vector<std::string>& keys, const std::string& name = "s") {
    std::vector<PendingRun> trials;
    for (const auto& k : keys) trials.push_back({k, "trial " + k, "trial", "{}", {{"seed", "\"" + k + "\""}}});
    return store->register_sweep(experiment, name, "{}", trials);
  }
  std::string column(const std::string& column, const std::string& key) {
    auto r = query_readonly(dir.file("r.db"), "SELECT coalesce(" + column + ", '') FROM runs WHERE run_key = '" + key + "'");
    return to_text(r.rows.at(0).at(0));
  }
  ClaimRequest request(std::int64_t sweep, std::set<std::int64_t> exclude = {}) {
    return {sweep, Shard{}, 120, std::move(exclude), nullptr};
  }
};

TEST(RunLifecycle, RegisteringASweepRecordsEveryTrialPendingInOrderWithParams) {
  Fixture f;
  auto sweep = f.sweep_of({"a", "b", "c"});
  auto trials = f.store->sweep_trials(sweep);
  ASSERT_EQ(trials.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(trials[i].position, static_cast<std::int64_t>(i));
    EXPECT_EQ(trials[i].status, "pending");
    EXPECT_EQ(trials[i].attempt, 0);
  }
  EXPECT_EQ(trials[1].run_key, "b");
  auto params = query_readonly(f.dir.file("r.db"), "SELECT value FROM params WHERE key = 'seed' ORDER BY run_id");
  ASSERT_EQ(params.rows.size(), 3u);
  EXPECT_EQ(to_text(params.rows[2][0]), "\"c\"");
  EXPECT_EQ(f.store->find_sweep("s"), sweep);
  auto msg = test::error_message<UserError>([&] { f.store->find_sweep("z"); });
  EXPECT_NE(msg.find("no sweep named 'z' (did you mean 's'?); sweeps: s"), std::string::npos) << msg;
}

TEST(RunLifecycle, ATrialKnownFromAnotherSweepKeepsItsState) {
  Fixture f;
  auto first = f.sweep_of({"a"});
  auto claimed = f.store->claim(f.request(first));
  ASSERT_TRUE(claimed);
  f.store->complete(claimed->run_id);
  auto second = f.sweep_of({"a", "b"}, "bigger");
  auto trials = f.store->sweep_trials(second);
  EXPECT_EQ(trials[0].status, "completed");
  EXPECT_EQ(trials[0].run_id, claimed->run_id);
  EXPECT_EQ(trials[1].status, "pending");
}

TEST(RunLifecycle, ClaimsTakeTrialsInOrderOncePerWorkerAndShard) {
  Fixture f;
  auto sweep = f.sweep_of({"a", "b", "c", "d"});
  auto a = f.store->claim(f.request(sweep));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->run_key, "a");
  EXPECT_EQ(a->attempt, 1);
  EXPECT_EQ(f.column("status", "a"), "running");
  auto b = f.store->claim(f.request(sweep));  // a is running with a fresh heartbeat: not claimable
  EXPECT_EQ(b->run_key, "b");
  auto odd = f.store->claim({sweep, Shard{1, 2}, 120, {}, nullptr});
  EXPECT_EQ(odd->run_key, "d");  // position 3; position 1 (b) is taken
  f.store->fail(a->run_id, "boom");
  EXPECT_EQ(f.store->claim(f.request(sweep))->run_key, "c");
  EXPECT_FALSE(f.store->claim(f.request(sweep)));  // the failed one waits for --retry-failed
  EXPECT_EQ(f.store->requeue_failed(sweep, Shard{}), 1);
  EXPECT_FALSE(f.store->claim(f.request(sweep, {a->run_id})));  // a worker does not retry what it ran
  auto again = f.store->claim(f.request(sweep));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->run_key, "a");
  EXPECT_EQ(again->attempt, 2);
}

TEST(RunLifecycle, StaleHeartbeatsAndDeadProcessesMakeARunningTrialClaimableAgain) {
  Fixture f;
  auto sweep = f.sweep_of({"a"});
  auto a = f.store->claim(f.request(sweep));
  ASSERT_TRUE(a);
  EXPECT_FALSE(f.store->claim(f.request(sweep)));
  // Its worker stopped beating 200 s ago.
  ASSERT_EQ(test::run_command({"/usr/bin/sqlite3", f.dir.file("r.db"), "UPDATE runs SET heartbeat = heartbeat - 200"})
                .exit_code,
            0);
  auto stale = f.store->claim(f.request(sweep));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->attempt, 2);
  // Its process on this host is gone: interrupted at once, and claimed again.
  std::vector<std::pair<std::int64_t, std::int64_t>> asked;
  auto dead = [&](std::int64_t pid, std::int64_t run) {
    asked.emplace_back(pid, run);
    return false;
  };
  auto orphan = f.store->claim({sweep, Shard{}, 120, {}, dead});
  ASSERT_TRUE(orphan);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].first, getpid());
  EXPECT_EQ(orphan->attempt, 3);
  EXPECT_FALSE(f.store->claim({sweep, Shard{}, 120, {}, [](std::int64_t, std::int64_t) { return true; }}));
}

TEST(RunLifecycle, EveryAttemptStartsCleanAndEveryEndIsRecorded) {
  Fixture f;
  auto [id, created] = f.store->register_run(f.experiment, {"p", "pretraining", "pretrain", "{}", {}});
  ASSERT_TRUE(created);
  f.store->begin_attempt(id);
  f.store->fail(id, "it broke", "the tail of stderr");
  auto run = f.store->run(id);
  EXPECT_EQ(run->status, "failed");
  EXPECT_EQ(run->error, "it broke");
  EXPECT_GT(run->ended_at, 0);
  EXPECT_EQ(f.column("stderr_tail", "p"), "the tail of stderr");
  // A new attempt clears the last one's end, error and stderr tail, whichever way it starts (this drifted
  // once: the queue's start cleared the tail, the store's did not).
  f.store->begin_attempt(id);
  run = f.store->run(id);
  EXPECT_EQ(run->status, "running");
  EXPECT_EQ(run->attempt, 2);
  EXPECT_EQ(run->error, "");
  EXPECT_EQ(run->ended_at, 0);
  EXPECT_EQ(f.column("stderr_tail", "p"), "");
  f.store->interrupt(id, "interrupted by signal 15", "");
  EXPECT_EQ(f.store->run(id)->status, "interrupted");
  f.store->begin_attempt(id);
  f.store->attach(id);
  EXPECT_EQ(f.store->run(id)->pid, getpid());
  f.store->complete(id);
  run = f.store->run(id);
  EXPECT_EQ(run->status, "completed");
  EXPECT_EQ(run->error, "");
}

TEST(RunLifecycle, AHeartbeatNeverRevivesAFinishedRun) {
  Fixture f;
  auto id = f.store->register_run(f.experiment, {"h", "h", "trial", "{}", {}}).first;
  f.store->begin_attempt(id);
  f.store->complete(id);
  double ended = f.store->run(id)->heartbeat;
  f.store->heartbeat(id);
  EXPECT_EQ(f.store->run(id)->status, "completed");
  EXPECT_EQ(f.store->run(id)->heartbeat, ended);
}

// Every SQL statement that writes `runs` (UPDATE runs, INSERT [OR ...] INTO runs, DELETE FROM runs,
// REPLACE INTO runs), in any source file of the framework or the plugins.
TEST(RunLifecycle, OnlyTheLifecycleModuleWritesTheRunsTable) {
  const std::regex writes(R"((UPDATE\s+runs\b|INTO\s+runs\b|DELETE\s+FROM\s+runs\b))", std::regex::icase);
  std::vector<std::string> writers;
  int scanned = 0;
  for (const char* root : {"framework", "plugins"})
    for (const auto& entry : std::filesystem::recursive_directory_iterator(test::source_dir() + "/" + root)) {
      auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".h") continue;
      ++scanned;
      if (std::regex_search(test::read_file(entry.path().string()), writes))
        writers.push_back(std::filesystem::relative(entry.path(), test::source_dir()).string());
    }
  EXPECT_GT(scanned, 100);
  EXPECT_EQ(writers, std::vector<std::string>{"framework/src/store/sqlite_run_lifecycle.cpp"});
}

}  // namespace
}  // namespace remix::store
