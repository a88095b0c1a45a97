// The flags of a sweep worker, declared once for `remix run` and `remix worker` (--jobs, --shard,
// --retry-failed, --stale-after, --nproc, range-checked by CLI11's validators, so a bad value is a usage error with
// exit code 2), and the arguments a worker passes on to each `remix trial` process.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "store/results_store.h"
#include "sweep/worker.h"

namespace remix::cli {

struct WorkerFlags {
  int jobs = 1;
  int nproc = 1;  // data-parallel ranks per trial, on this machine
  std::string shard = "0/1";
  bool retry_failed = false;
  double stale_after = 120;
};

void add_worker_flags(CLI::App* command, WorkerFlags& flags);
// "i/N" with 0 <= i < N; UserError naming --shard otherwise.
store::Shard parse_shard(const std::string& text);
sweep::WorkerOptions worker_options(const WorkerFlags& flags, const GlobalOptions& global, std::int64_t sweep_id);

}  // namespace remix::cli
