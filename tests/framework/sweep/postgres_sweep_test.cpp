// Sweeps across machines on a real PostgreSQL server: four workers in separate processes (two of them on
// another host name, each in a UTS namespace of its own when the tests run as root) drain a sweep of 40 tiny
// trials with every trial run exactly once; a worker killed with SIGKILL leaves its trial to go stale, and a
// worker on another host takes it over and finishes it; a server restarted in the middle of a sweep costs the
// workers a reconnect and nothing else.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "store/results_store.h"
#include "support/postgres_server.h"
#include "support/test_env.h"

namespace remix {
namespace {

std::string sweep_config(const test::TempDir& dir, const std::string& db, int steps) {
  return dir.write("exp.yaml", "experiment: {name: pgsweep, db: '" + db + "', output_dir: " + dir.file("runs") +
                                   "}\nrouter: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n" +
                                   "base: {cache_dir: " + dir.file("base_cache") +
                                   ", pretrain: {steps: 3, batch_size: 4, warmup_steps: 1}}\n"
                                   "model: {dim: 16, n_layers: 1, n_heads: 2, n_kv_heads: 2, ffn_dim: 32, max_seq_len: 32}\n"
                                   "adapter: {r: 2, num_experts: 2, top_k: 1}\n"
                                   "train: {steps: " + std::to_string(steps) +
                                   ", batch_size: 4, log_every: 1, eval_every: 0, checkpoint_every: 5, warmup_steps: 0}\n"
                                   "eval: {max_examples: 4, max_new_tokens: 4}\n");
}

// `remix ARGS...` as a worker on `host` (a UTS namespace of its own as root; this host otherwise).
std::vector<std::string> on_host(const std::string& host, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {test::remix_bin(), "--plugin-path", test::test_plugin_dir()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (geteuid() != 0 || host.empty()) return argv;
  std::vector<std::string> wrapped = {"/usr/bin/unshare", "--uts", "/bin/sh", "-c", "hostname \"$0\" && exec \"$@\"",
                                      host};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

std::vector<std::vector<store::SqlValue>> rows(const std::string& db, const std::string& sql) {
  return store::open_store(db, store::Access::ReadOnly)->read(sql).rows;
}

std::int64_t number(const std::string& db, const std::string& sql) { return std::get<std::int64_t>(rows(db, sql).at(0).at(0)); }

TEST(PostgresSweep, FourWorkersOnTwoHostsRunEveryTrialExactlyOnce) {
  REMIX_REQUIRE_POSTGRES(server);
  test::TempDir dir;
  auto db = server->fresh_database();
  auto config = sweep_config(dir, db, 2);
  std::string seeds = "seed=0";
  for (int s = 1; s < 40; ++s) seeds += "," + std::to_string(s);
  // Registered once (and the shared base pretrained) by `run --shard` taking no trial, then drained by workers.
  auto reg = test::run_command(on_host("", {"slurm", config, seeds}));
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  std::vector<std::unique_ptr<test::ChildProcess>> workers;
  for (const char* host : {"", "", "remix-other-host", "remix-other-host"})
    workers.push_back(std::make_unique<test::ChildProcess>(
        on_host(host, {"worker", "--db", db, "--sweep", "pgsweep " + seeds}), /*merge_stderr=*/true));
  std::string output;
  for (auto& w : workers) {
    while (auto line = w->read_line()) output += *line + "\n";
    EXPECT_EQ(w->wait(), 0) << output.substr(output.size() > 3000 ? output.size() - 3000 : 0);
  }
  EXPECT_EQ(output.find("database is locked"), std::string::npos);
  EXPECT_EQ(output.find("deadlock"), std::string::npos);
  EXPECT_EQ(number(db, "SELECT count(*) FROM runs WHERE kind = 'trial'"), 40);
  EXPECT_EQ(number(db, "SELECT count(*) FROM runs WHERE kind = 'trial' AND status = 'completed' AND attempt = 1"), 40);
  // The commands that read a sweep read it from the server.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"results", db, "--sweep", "pgsweep " + seeds}, {"runs", db}, {"report", db, "-o", dir.file("r.html")}}) {
    auto r = test::run_command(on_host("", args));
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
  }
  EXPECT_NE(test::read_file(dir.file("r.html")).find("<svg"), std::string::npos);
  if (geteuid() == 0) {
    EXPECT_GT(number(db, "SELECT count(*) FROM runs WHERE kind = 'trial' AND host = 'remix-other-host'"), 0);
    EXPECT_GT(number(db, "SELECT count(*) FROM runs WHERE kind = 'trial' AND host <> 'remix-other-host'"), 0);
  }
}

TEST(PostgresSweep, AKilledWorkersTrialGoesStaleAndFinishesOnAnotherHost) {
  REMIX_REQUIRE_POSTGRES(server);
  test::TempDir dir;
  auto db = server->fresh_database();
  auto config = sweep_config(dir, db, 300);
  {
    test::ChildProcess first(on_host("remix-host-a", {"run", config, "--stale-after", "3"}), /*merge_stderr=*/true,
                             /*own_group=*/true);
    while (auto line = first.read_line())
      if (line->find("train step 20/300") != std::string::npos) {
        first.kill_group(SIGKILL);
        break;
      }
    while (first.read_line()) {
    }
    EXPECT_EQ(first.wait(), -SIGKILL);
  }
  EXPECT_EQ(store::to_text(rows(db, "SELECT status FROM runs WHERE kind = 'trial'").at(0).at(0)), "running");
  std::this_thread::sleep_for(std::chrono::seconds(4));  // its heartbeat goes stale
  auto second = test::run_command(on_host("remix-host-b", {"worker", "--db", db, "--sweep", "pgsweep", "--stale-after", "3"}));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("resuming from"), std::string::npos) << second.err;
  auto run = rows(db, "SELECT status, attempt, host FROM runs WHERE kind = 'trial'").at(0);
  EXPECT_EQ(store::to_text(run[0]), "completed");
  EXPECT_EQ(std::get<std::int64_t>(run[1]), 2);
  if (geteuid() == 0) EXPECT_EQ(store::to_text(run[2]), "remix-host-b");
  EXPECT_EQ(number(db, "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.kind = 'trial' AND "
                       "m.key = 'train/loss'"),
            300);  // every step once, the repeated ones replaced
}

TEST(PostgresSweep, AServerRestartMidSweepCostsAReconnectAndNothingElse) {
  REMIX_REQUIRE_POSTGRES(server);
  test::TempDir dir;
  auto db = server->fresh_database();
  auto config = sweep_config(dir, db, 150);
  test::ChildProcess run(on_host("", {"run", config, "seed=0,1,2,3", "-j", "2"}), /*merge_stderr=*/true);
  std::string output;
  bool restarted = false;
  while (auto line = run.read_line()) {
    output += *line + "\n";
    if (!restarted && line->find("train step 40/150") != std::string::npos) {
      server->restart();
      restarted = true;
    }
  }
  ASSERT_TRUE(restarted);
  EXPECT_EQ(run.wait(), 0) << output.substr(output.size() > 4000 ? output.size() - 4000 : 0);
  EXPECT_NE(output.find("reconnect"), std::string::npos) << "the restart went unnoticed";
  EXPECT_EQ(number(db, "SELECT count(*) FROM runs WHERE kind = 'trial' AND status = 'completed' AND attempt = 1"), 4);
  EXPECT_EQ(number(db, "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.kind = 'trial' AND "
                       "m.key = 'train/loss'"),
            4 * 150);
}

}  // namespace
}  // namespace remix
