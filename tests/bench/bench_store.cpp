// Benchmark: the results store on each engine, measured in one run: a SQLite file beside a throwaway PostgreSQL
// server on this machine (loopback, fsync off as the test clusters run; a production server syncs).
//   claims:  a sweep of 2000 registered trials drained by 8 concurrent workers (threads, each with its own
//            connection) that claim a trial and complete it, until none is left; claims per second, and that
//            every trial was claimed exactly once.
//   metrics: 100,000 metric rows through the MetricsRecorder (batched transactions) from one run; rows per second.
//
//   build/tests/bench/bench_store
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/library_environment.h"
#include "common/machine.h"
#include "store/recorder.h"
#include "store/results_store.h"
#include "support/postgres_server.h"
#include "support/test_env.h"

namespace {

using namespace remix;
using Clock = std::chrono::steady_clock;

constexpr int kTrials = 2000, kWorkers = 8;
constexpr long kRows = 100000;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Figures {
  double claims_per_s = 0, rows_per_s = 0;
  bool exactly_once = false;
};

Figures measure(const std::string& location) {
  Figures f;
  std::int64_t sweep = 0;
  {
    auto store = store::open_store(location, store::Access::Create);
    std::vector<store::PendingRun> trials;
    for (int i = 0; i < kTrials; ++i) trials.push_back({"trial-" + std::to_string(i), "t" + std::to_string(i), "trial", "{}", {}});
    sweep = store->register_sweep(store->ensure_experiment("bench"), "bench", "{}", trials);
  }
  std::mutex mutex;
  std::multiset<std::int64_t> claimed;
  std::vector<std::thread> workers;
  auto start = Clock::now();
  for (int w = 0; w < kWorkers; ++w)
    workers.emplace_back([&] {
      auto store = store::open_store(location, store::Access::ReadWrite);
      while (auto trial = store->claim({sweep, store::Shard{}, 3600, {}, nullptr})) {
        store->complete(trial->run_id);
        std::lock_guard<std::mutex> lock(mutex);
        claimed.insert(trial->run_id);
      }
    });
  for (auto& t : workers) t.join();
  f.claims_per_s = kTrials / seconds_since(start);
  f.exactly_once = claimed.size() == kTrials && std::set<std::int64_t>(claimed.begin(), claimed.end()).size() == kTrials;

  auto store = store::open_store(location, store::Access::ReadWrite);
  auto run = store->register_run(store->ensure_experiment("bench"), {"metrics", "metrics", "trial", "{}", {}}).first;
  start = Clock::now();
  {
    store::MetricsRecorder recorder(*store, run);
    for (long i = 0; i < kRows; ++i) recorder.log("routing/layers." + std::to_string(i % 8) + ".ffn/ess_mean", i / 8, 1.0 / (i + 1));
  }
  f.rows_per_s = kRows / seconds_since(start);
  return f;
}

}  // namespace

int main(int, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  std::printf("%s\n", remix::machine::summary().c_str());
  test::TempDir dir;
  auto sqlite = measure(dir.file("bench.db"));
  std::string why;
  auto server = test::PostgresServer::start(&why);
  std::printf("results store: %d trials claimed and completed by %d concurrent workers; %ld metric rows\n\n", kTrials,
              kWorkers, kRows);
  std::printf("%-12s %14s %16s  %s\n", "engine", "claims/s", "metric rows/s", "every trial claimed once");
  std::printf("%-12s %14.0f %16.0f  %s\n", "SQLite", sqlite.claims_per_s, sqlite.rows_per_s,
              sqlite.exactly_once ? "yes" : "NO");
  if (!server) {
    std::printf("PostgreSQL: not measured: %s\n", why.c_str());
    return 0;
  }
  auto postgres = measure(server->fresh_database());
  std::printf("%-12s %14.0f %16.0f  %s\n", "PostgreSQL", postgres.claims_per_s, postgres.rows_per_s,
              postgres.exactly_once ? "yes" : "NO");
  std::printf("\nratio PostgreSQL / SQLite: claims %.2fx, metric rows %.2fx\n", postgres.claims_per_s / sqlite.claims_per_s,
              postgres.rows_per_s / sqlite.rows_per_s);
  return 0;
}
