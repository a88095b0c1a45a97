// `remix run FILE [overrides]`: expands the experiment into its trials (the sweep block and command-line
// comma lists), records them all in the results store, then works through them as a sweep worker (each
// trial in its own process, `--jobs` at a time) and prints a summary. Running the same command again resumes:
// completed trials are skipped, interrupted and orphaned ones continue from their checkpoints.
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/plan_experiment.h"
#include "cli/worker_flags.h"
#include "report/sweep_table.h"
#include "report/table.h"
#include "store/results_store.h"
#include "sweep/registration.h"
#include "sweep/worker.h"
#include "train/data_parallel.h"
#include "trial/runtime.h"

namespace remix::cli {

namespace {

struct RunOptions {
  std::string file;
  std::vector<std::string> overrides;
  WorkerFlags worker;
  bool dry_run = false;
};

// The trials, which are done, what would run; reads the store if there is one and writes nothing.
int dry_run(const std::vector<sweep::ResolvedTrial>& trials, const std::string& location) {
  std::unique_ptr<store::ResultsStore> store;
  if (std::filesystem::exists(location)) store = store::open_store(location, store::Access::ReadOnly);
  report::Table t;
  t.columns = {"#", "trial", "key", "status"};
  std::size_t done = 0;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    auto key = trials[i].config.trial_key();
    auto run = store ? store->find_run(key) : std::nullopt;
    std::string status = run ? run->status : "new";
    done += status == "completed";
    t.rows.push_back({static_cast<std::int64_t>(i), trials[i].spec.name, key.substr(0, 12), status});
  }
  fmt::print("{}{} trials, {} completed, {} to run (database {})\n", report::render(t, report::TableFormat::Text),
             trials.size(), done, trials.size() - done, location);
  return 0;
}

int run_experiment(const GlobalOptions& g, const RunOptions& o) {
  auto planned = plan_experiment(g, o.file, o.overrides);
  if (o.dry_run) return dry_run(planned.trials, planned.location);

  auto worker = worker_options(o.worker, g, 0);  // refuses what this build cannot do before anything is recorded
  if (worker.nproc > 1)  // each trial's ranks need a backend for its device (Gloo: CPU, NCCL: GPU)
    for (const auto& t : planned.trials)
      train::require_data_parallel(fmt::format("--nproc {} (trial '{}')", worker.nproc, t.spec.name),
                                   trial::rank_device(t.config, 0, worker.nproc));
  auto store = store::open_store(planned.location, store::Access::Create);
  auto sweep = sweep::register_sweep(*store, planned.plan, planned.trials);
  worker.sweep_id = sweep.id;
  auto summary = sweep::run_worker(*store, worker);
  fmt::print("{}", report::render(report::sweep_table(*store, sweep.id), report::TableFormat::Text));
  if (summary.signal) return 128 + summary.signal;
  return summary.last_exit_code;
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "run the experiment in FILE: one trial, or every trial of its sweep");
  cmd->add_option("file", o->file, "experiment YAML")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value, +key.path=value, ~key.path; a=v1,v2 is a sweep axis");
  add_worker_flags(cmd, o->worker);
  cmd->add_flag("--dry-run", o->dry_run, "print the trials and which are done; run and record nothing");
  cmd->callback([o, &global, &action] { action = [o, &global] { return run_experiment(global, *o); }; });
}

}  // namespace remix::cli
