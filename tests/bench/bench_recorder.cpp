// Benchmark: logging 100,000 metric rows through the MetricsRecorder (buffered, batched transactions)
// against one-commit-per-row baselines measured in the same run:
//   naive     - what a logger written without thought does: SQLite's defaults (rollback journal,
//               synchronous=FULL), one INSERT and one commit per row. The target (>= 100x) is against this.
//   same-db   - one commit per row on a database opened like the recorder's (WAL, synchronous=NORMAL),
//               which isolates what batching alone buys.
// Target: recorder under 0.5 s for 100,000 rows and at least 100x the naive baseline's rows per second.
//
//   build/tests/bench/bench_recorder [rows]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/library_environment.h"
#include "common/machine.h"
#include "store/recorder.h"
#include "store/results_store.h"
#include "store/sqlite.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Keys like a real run logs: a few scalars and per-site routing diagnostics.
std::string key_of(long i) {
  static const char* keys[] = {"train/loss", "train/router_loss", "train/lr", "routing/ess_mean",
                               "routing/ess_min", "routing/layers.0.ffn/ess_mean", "routing/layers.1.ffn/ess_mean",
                               "routing/layers.2.ffn/load/3"};
  return keys[i % 8];
}

double bench_recorder(const std::string& path, long rows) {
  auto db = remix::store::open_store(path, remix::store::Access::Create);
  auto run = db->register_run(db->ensure_experiment("bench"), {"recorder", "recorder", "trial", "{}", {}}).first;
  auto t = Clock::now();
  {
    remix::store::MetricsRecorder rec(*db, run);
    for (long i = 0; i < rows; ++i) rec.log(key_of(i), i / 8, 1.0 / static_cast<double>(i + 1));
  }  // destruction flushes the rest
  return seconds_since(t);
}

// One INSERT, one transaction, per row, into the same schema. `naive` leaves SQLite's default journal.
double bench_commit_per_row(const std::string& path, long rows, bool naive) {
  remix::store::open_store(path, remix::store::Access::Create);  // the schema
  remix::store::Database db(path, remix::store::Database::Mode::ReadWrite);
  if (naive) db.exec("PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL");
  else db.use_wal();  // as the store opens it: WAL, synchronous=NORMAL
  db.exec("INSERT INTO experiments (name, created_at) VALUES ('bench', 0)");
  db.exec("INSERT INTO runs (run_key, experiment_id, name, created_at, config) VALUES ('per-row', 1, 'p', 0, '{}')");
  std::int64_t run = db.last_insert_rowid();
  auto insert = db.prepare("INSERT OR REPLACE INTO metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?)");
  auto t = Clock::now();
  for (long i = 0; i < rows; ++i) {
    remix::store::Transaction tx(db);
    insert.bind(1, run).bind(2, key_of(i)).bind(3, static_cast<std::int64_t>(i / 8)).bind(4, 1.0 / (i + 1)).bind(5, 0.0);
    insert.run();
    tx.commit();
  }
  return seconds_since(t);
}

}  // namespace

int main(int argc, char** argv) {
  remix::reexec_with_library_environment(argv);  // the OpenMP spin and BLAS kernel remix runs with
  std::printf("%s\n", remix::machine::summary().c_str());
  long rows = argc > 1 ? std::atol(argv[1]) : 100000;
  fs::path dir = fs::temp_directory_path() / ("remix-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  double batched = bench_recorder((dir / "recorder.db").string(), rows);
  // The baselines are slow; they log a slice of the rows and are compared in rows per second.
  long naive_rows = std::max(1L, rows / 100), same_rows = std::max(1L, rows / 10);
  double naive = bench_commit_per_row((dir / "naive.db").string(), naive_rows, true);
  double same = bench_commit_per_row((dir / "same.db").string(), same_rows, false);
  fs::remove_all(dir);

  double batched_rate = rows / batched, naive_rate = naive_rows / naive, same_rate = same_rows / same;
  std::printf("metric rows logged                    %ld\n", rows);
  std::printf("recorder (batched transactions)       %8.3f s  %10.0f rows/s\n", batched, batched_rate);
  std::printf("naive: commit per row, SQLite default %8.3f s  %10.0f rows/s  (%ld rows)\n", naive, naive_rate,
              naive_rows);
  std::printf("commit per row, WAL + sync=NORMAL     %8.3f s  %10.0f rows/s  (%ld rows)\n", same, same_rate, same_rows);
  std::printf("ratio recorder / naive                %8.1fx  (target >= 100x: %s)\n", batched_rate / naive_rate,
              batched_rate / naive_rate >= 100 ? "met" : "MISSED");
  std::printf("ratio recorder / commit per row (WAL) %8.1fx\n", batched_rate / same_rate);
  std::printf("recorder time per 100,000 rows        %8.3f s  (target < 0.5 s: %s)\n", batched * 100000.0 / rows,
              batched * 100000.0 / rows < 0.5 ? "met" : "MISSED");
  return 0;
}
