// `remix worker --db DB --sweep NAME`: claims and runs trials of a sweep registered earlier (by `remix run`
// or `remix slurm`) until none is left; several workers on several machines can share one database. And
// `remix trial`, the hidden subcommand a worker starts for each trial in its own process.
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "cli/worker_flags.h"
#include "report/sweep_table.h"
#include "store/results_store.h"
#include "sweep/worker.h"
#include "trial/trial_runner.h"

namespace remix::cli {

namespace {

struct WorkerCliOptions {
  std::string db, sweep;
  WorkerFlags worker;
};

int run_worker_command(const GlobalOptions& g, const WorkerCliOptions& o) {
  auto store = store::open_store(o.db, store::Access::ReadWrite);
  auto sweep_id = store->find_sweep(o.sweep);
  auto summary = sweep::run_worker(*store, worker_options(o.worker, g, sweep_id));
  fmt::print("{}", report::render(report::sweep_table(*store, sweep_id), report::TableFormat::Text));
  if (summary.signal) return 128 + summary.signal;
  return summary.last_exit_code;
}

struct TrialCliOptions {
  std::string db;
  std::int64_t run_id = 0;
  int nproc = 1;
};

}  // namespace

void add_worker_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<WorkerCliOptions>();
  auto* cmd = app.add_subcommand("worker", "claim and run the trials of a registered sweep until none is left");
  cmd->add_option("--db", o->db, "results database holding the sweep")->required();
  cmd->add_option("--sweep", o->sweep, "sweep name (sweep.name, else experiment.name)")->required();
  add_worker_flags(cmd, o->worker);
  cmd->callback([o, &global, &action] { action = [o, &global] { return run_worker_command(global, *o); }; });

  auto t = std::make_shared<TrialCliOptions>();
  auto* trial = app.add_subcommand("trial", "run one claimed trial (started by workers)");
  trial->group("");  // internal: not listed in --help
  trial->add_option("--db", t->db, "results database")->required();
  trial->add_option("--run-id", t->run_id, "the run to execute")->required();
  trial->add_option("--nproc", t->nproc, "data-parallel ranks to start on this machine (this process is rank 0)")
      ->check(CLI::Range(1, 1024));
  trial->callback([t, &global, &action] {
    action = [t, &global] {
      trial::TrialRequest request{t->db, t->run_id, global.plugin_paths, t->nproc, {}};
      request.rank_args = {"trial", "--db", t->db, "--run-id", std::to_string(t->run_id)};
      for (const auto& p : global.plugin_paths) request.rank_args.insert(request.rank_args.end(), {"--plugin-path", p});
      if (global.quiet) request.rank_args.push_back("--quiet");
      if (global.verbose) request.rank_args.push_back("--verbose");
      return trial::run_trial(request);
    };
  });
}

}  // namespace remix::cli
