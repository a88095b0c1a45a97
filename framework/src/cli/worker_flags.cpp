// The worker flags (see worker_flags.h).
#include "cli/worker_flags.h"

#include <fmt/format.h>

#include "common/text.h"
#include "remix/errors.h"
#include "train/data_parallel.h"

namespace remix::cli {

store::Shard parse_shard(const std::string& text) {
  auto parts = text::split(text, '/');
  store::Shard s;
  try {
    if (parts.size() != 2) throw std::invalid_argument("");
    std::size_t a = 0, b = 0;
    s.index = std::stoll(parts[0], &a);
    s.count = std::stoll(parts[1], &b);
    if (a != parts[0].size() || b != parts[1].size()) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw UserError(fmt::format("--shard '{}': expected i/N, e.g. 0/4", text));
  }
  if (s.count < 1 || s.index < 0 || s.index >= s.count)
    throw UserError(fmt::format("--shard '{}': needs 0 <= i < N", text));
  return s;
}

void add_worker_flags(CLI::App* command, WorkerFlags& flags) {
  const CLI::Validator shard(
      [](std::string& value) -> std::string {
        try {
          parse_shard(value);
          return "";
        } catch (const UserError& e) {
          return e.what();
        }
      },
      "i/N", "shard");
  command->add_option("-j,--jobs", flags.jobs, "trials run at once, each in its own process")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command->add_option("--nproc", flags.nproc,
                      "data-parallel ranks per trial on this machine (each trial runs on N processes; c10d Gloo)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command->add_option("--shard", flags.shard, "take only trials whose position % N == i")
      ->check(shard)
      ->capture_default_str();
  command->add_flag("--retry-failed", flags.retry_failed, "run failed trials again (completed ones never rerun)");
  command->add_option("--stale-after", flags.stale_after, "seconds without heartbeat before a running trial is re-queued")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
}

sweep::WorkerOptions worker_options(const WorkerFlags& flags, const GlobalOptions& global, std::int64_t sweep_id) {
  sweep::WorkerOptions w;
  w.sweep_id = sweep_id;
  w.shard = parse_shard(flags.shard);
  w.jobs = flags.jobs;
  w.nproc = flags.nproc;
  if (w.nproc > 1) train::require_data_parallel(fmt::format("--nproc {}", w.nproc));  // before any trial starts
  w.stale_seconds = flags.stale_after;
  w.retry_failed = flags.retry_failed;
  for (const auto& p : global.plugin_paths) {
    w.trial_args.push_back("--plugin-path");
    w.trial_args.push_back(p);
  }
  if (global.quiet) w.trial_args.push_back("--quiet");
  if (global.verbose) w.trial_args.push_back("--verbose");
  return w;
}

}  // namespace remix::cli
