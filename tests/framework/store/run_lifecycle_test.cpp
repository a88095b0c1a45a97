// The life of a run, one transition at a time, through the ResultsStore interface, on both engines (a real
// SQLite file and a real PostgreSQL server): registering a sweep (order, params, known trials keep their
// state), claims (order, shards, exclusions, stale heartbeats, dead processes), the ends of an attempt,
// heartbeats that never revive a finished run, and --retry-failed. And the rule that makes the store the one
// owner of this state machine: no source file outside store/run_lifecycle.cpp writes the `runs` table.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "remix/errors.h"
#include "store/results_store.h"
#include "support/store_backends.h"
#include "support/test_env.h"

namespace remix::store {
namespace {

class RunLifecycle : public test::StoreBackendTest {
 protected:
  void SetUp() override {
    test::StoreBackendTest::SetUp();
    if (IsSkipped()) return;
    store = open();
    experiment = store->ensure_experiment("e");
  }
  std::int64_t sweep_of(const std::vector<std::string>& keys, const std::string& name = "s") {
    std::vector<PendingRun> trials;
    for (const auto& k : keys) trials.push_back({k, "trial " + k, "trial", "{}", {{"seed", "\"" + k + "\""}}});
    return store->register_sweep(experiment, name, "{}", trials);
  }
  std::string column(const std::string& column, const std::string& key) {
    auto r = sql(*store, "SELECT coalesce(" + column + ", '') FROM runs WHERE run_key = ?", {key});
    return to_text(r.rows.at(0).at(0));
  }
  ClaimRequest request(std::int64_t sweep, std::set<std::int64_t> exclude = {}) {
    return {sweep, Shard{}, 120, std::move(exclude), nullptr};
  }

  std::unique_ptr<ResultsStore> store;
  std::int64_t experiment = 0;
};

TEST_P(RunLifecycle, RegisteringASweepRecordsEveryTrialPendingInOrderWithParams) {
  auto sweep = sweep_of({"a", "b", "c"});
  auto trials = store->sweep_trials(sweep);
  ASSERT_EQ(trials.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(trials[i].position, static_cast<std::int64_t>(i));
    EXPECT_EQ(trials[i].status, "pending");
    EXPECT_EQ(trials[i].attempt, 0);
  }
  EXPECT_EQ(trials[1].run_key, "b");
  auto params = sql(*store, "SELECT value FROM params WHERE key = 'seed' ORDER BY run_id");
  ASSERT_EQ(params.rows.size(), 3u);
  EXPECT_EQ(to_text(params.rows[2][0]), "\"c\"");
  EXPECT_EQ(store->find_sweep("s"), sweep);
  auto msg = test::error_message<UserError>([&] { store->find_sweep("z"); });
  EXPECT_NE(msg.find("no sweep named 'z' (did you mean 's'?); sweeps: s"), std::string::npos) << msg;
}

TEST_P(RunLifecycle, ATrialKnownFromAnotherSweepKeepsItsState) {
  auto first = sweep_of({"a"});
  auto claimed = store->claim(request(first));
  ASSERT_TRUE(claimed);
  store->complete(claimed->run_id);
  auto second = sweep_of({"a", "b"}, "bigger");
  auto trials = store->sweep_trials(second);
  EXPECT_EQ(trials[0].status, "completed");
  EXPECT_EQ(trials[0].run_id, claimed->run_id);
  EXPECT_EQ(trials[1].status, "pending");
}

TEST_P(RunLifecycle, ClaimsTakeTrialsInOrderOncePerWorkerAndShard) {
  auto sweep = sweep_of({"a", "b", "c", "d"});
  auto a = store->claim(request(sweep));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->run_key, "a");
  EXPECT_EQ(a->attempt, 1);
  EXPECT_EQ(column("status", "a"), "running");
  auto b = store->claim(request(sweep));  // a is running with a fresh heartbeat: not claimable
  EXPECT_EQ(b->run_key, "b");
  auto odd = store->claim({sweep, Shard{1, 2}, 120, {}, nullptr});
  EXPECT_EQ(odd->run_key, "d");  // position 3; position 1 (b) is taken
  store->fail(a->run_id, "boom");
  EXPECT_EQ(store->claim(request(sweep))->run_key, "c");
  EXPECT_FALSE(store->claim(request(sweep)));  // the failed one waits for --retry-failed
  EXPECT_EQ(store->requeue_failed(sweep, Shard{}), 1);
  EXPECT_FALSE(store->claim(request(sweep, {a->run_id})));  // a worker does not retry what it ran
  auto again = store->claim(request(sweep));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->run_key, "a");
  EXPECT_EQ(again->attempt, 2);
}

TEST_P(RunLifecycle, StaleHeartbeatsAndDeadProcessesMakeARunningTrialClaimableAgain) {
  auto sweep = sweep_of({"a"});
  auto a = store->claim(request(sweep));
  ASSERT_TRUE(a);
  EXPECT_FALSE(store->claim(request(sweep)));
  // Its worker stopped beating 200 s ago.
  sql(*store, "UPDATE runs SET heartbeat = heartbeat - 200");
  auto stale = store->claim(request(sweep));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->attempt, 2);
  // Its process on this host is gone: interrupted at once, and claimed again.
  std::vector<std::pair<std::int64_t, std::int64_t>> asked;
  auto dead = [&](std::int64_t pid, std::int64_t run) {
    asked.emplace_back(pid, run);
    return false;
  };
  auto orphan = store->claim({sweep, Shard{}, 120, {}, dead});
  ASSERT_TRUE(orphan);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].first, getpid());
  EXPECT_EQ(orphan->attempt, 3);
  EXPECT_FALSE(store->claim({sweep, Shard{}, 120, {}, [](std::int64_t, std::int64_t) { return true; }}));
}

TEST_P(RunLifecycle, EveryAttemptStartsCleanAndEveryEndIsRecorded) {
  auto [id, created] = store->register_run(experiment, {"p", "pretraining", "pretrain", "{}", {}});
  ASSERT_TRUE(created);
  store->begin_attempt(id);
  store->fail(id, "it broke", "the tail of stderr");
  auto run = store->run(id);
  EXPECT_EQ(run->status, "failed");
  EXPECT_EQ(run->error, "it broke");
  EXPECT_GT(run->ended_at, 0);
  EXPECT_EQ(column("stderr_tail", "p"), "the tail of stderr");
  // A new attempt clears the last one's end, error and stderr tail, whichever way it starts (this drifted
  // once: the queue's start cleared the tail, the store's did not).
  store->begin_attempt(id);
  run = store->run(id);
  EXPECT_EQ(run->status, "running");
  EXPECT_EQ(run->attempt, 2);
  EXPECT_EQ(run->error, "");
  EXPECT_EQ(run->ended_at, 0);
  EXPECT_EQ(column("stderr_tail", "p"), "");
  store->interrupt(id, "interrupted by signal 15", "");
  EXPECT_EQ(store->run(id)->status, "interrupted");
  store->begin_attempt(id);
  store->attach(id);
  EXPECT_EQ(store->run(id)->pid, getpid());
  store->complete(id);
  run = store->run(id);
  EXPECT_EQ(run->status, "completed");
  EXPECT_EQ(run->error, "");
}

TEST_P(RunLifecycle, AHeartbeatNeverRevivesAFinishedRun) {
  auto id = store->register_run(experiment, {"h", "h", "trial", "{}", {}}).first;
  store->begin_attempt(id);
  store->complete(id);
  double ended = store->run(id)->heartbeat;
  store->heartbeat(id);
  EXPECT_EQ(store->run(id)->status, "completed");
  EXPECT_EQ(store->run(id)->heartbeat, ended);
}

// Every SQL statement that writes `runs` (UPDATE runs, INSERT [OR ...] INTO runs, DELETE FROM runs,
// REPLACE INTO runs), in any source file of the framework or the plugins.
TEST(RunLifecycleSources, OnlyTheLifecycleModuleWritesTheRunsTable) {
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
  EXPECT_EQ(writers, std::vector<std::string>{"framework/src/store/run_lifecycle.cpp"});
}

REMIX_STORE_BACKENDS(RunLifecycle);

}  // namespace
}  // namespace remix::store
