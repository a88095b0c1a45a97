// `remix worker --db DB --sweep NAME`: claims and runs trials of a sweep registered earlier (by `remix run`
// or `remix slurm`) until none is left; several workers on several machines can share one database. And
// `remix trial`, the hidden subcommand a worker starts for each trial in its own process.
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "cli/trial_table.h"
#include "remix/errors.h"
#include "store/results_db.h"
#include "sweep/trial_queue.h"
#include "sweep/worker.h"
#include "train/interrupt.h"
#include "train/trial_runner.h"

namespace remix::cli {

namespace {

struct WorkerCliOptions {
  std::string db, sweep, shard = "0/1";
  int jobs = 1;
  bool retry_failed = false;
  double stale_after = 120;
};

int run_worker_command(const GlobalOptions& g, const WorkerCliOptions& o) {
  auto shard = sweep::parse_shard(o.shard);
  if (o.jobs < 1) throw UserError("--jobs must be at least 1");
  store::ResultsDb db(o.db);
  sweep::TrialQueue queue(db);
  sweep::WorkerOptions w;
  w.db_path = o.db;
  w.sweep_id = queue.find_sweep(o.sweep);
  w.shard = shard;
  w.jobs = o.jobs;
  w.stale_seconds = o.stale_after;
  w.retry_failed = o.retry_failed;
  w.trial_args = trial_arguments(g);
  auto summary = sweep::run_worker(w);
  fmt::print("{}", report::render(trial_table(db, w.sweep_id), report::TableFormat::Text));
  if (summary.signal) return 128 + summary.signal;
  return summary.last_exit_code;
}

struct TrialCliOptions {
  std::string db;
  std::int64_t run_id = 0;
};

}  // namespace

void add_worker_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<WorkerCliOptions>();
  auto* cmd = app.add_subcommand("worker", "claim and run the trials of a registered sweep until none is left");
  cmd->add_option("--db", o->db, "results database holding the sweep")->required();
  cmd->add_option("--sweep", o->sweep, "sweep name (sweep.name, else experiment.name)")->required();
  cmd->add_option("--shard", o->shard, "take only trials whose position % N == i")->capture_default_str();
  cmd->add_option("-j,--jobs", o->jobs, "trials run at once, each in its own process")->capture_default_str();
  cmd->add_flag("--retry-failed", o->retry_failed, "run failed trials again");
  cmd->add_option("--stale-after", o->stale_after, "seconds without heartbeat before a running trial is re-queued")
      ->capture_default_str();
  cmd->callback([o, &global, &action] { action = [o, &global] { return run_worker_command(global, *o); }; });

  auto t = std::make_shared<TrialCliOptions>();
  auto* trial = app.add_subcommand("trial", "run one claimed trial (started by workers)");
  trial->group("");  // internal: not listed in --help
  trial->add_option("--db", t->db, "results database")->required();
  trial->add_option("--run-id", t->run_id, "the run to execute")->required();
  trial->callback([t, &global, &action] {
    action = [t, &global] { return train::run_trial({t->db, t->run_id, global.plugin_paths}); };
  });
}

}  // namespace remix::cli
