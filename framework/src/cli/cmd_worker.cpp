// `remix worker --db DB --sweep NAME`: claims and runs trials of a sweep registered earlier (by `remix run`
// or `remix slurm`) until none is left; several workers on several machines can share one database. And
// `remix trial`, the hidden subcommand a worker starts for each trial in its own process.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/worker_flags.h"
#include "common/text.h"
#include "remix/errors.h"
#include "report/sweep_table.h"
#include "store/results_store.h"
#include "sweep/worker.h"
#include "train/data_parallel.h"
#include "trial/runtime.h"
#include "trial/trial_runner.h"

namespace remix::cli {

namespace {

struct WorkerCliOptions {
  std::string db, sweep, launcher;
  WorkerFlags worker;
};

// "srun --nodes=2 ..." -> its words, the program found on PATH; UserError naming --launcher otherwise.
std::vector<std::string> launcher_command(const std::string& text) {
  std::vector<std::string> words;
  for (const auto& w : text::split(text, ' '))
    if (!w.empty()) words.push_back(w);
  if (words.empty())
    throw UserError("--launcher: empty; give the command that starts a trial's ranks, e.g. 'srun ...'");
  if (words[0].find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    for (const auto& dir : text::split(path ? path : "", ':')) {
      auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / words[0];
      if (access(candidate.c_str(), X_OK) == 0) {
        words[0] = candidate.string();
        return words;
      }
    }
    throw UserError(fmt::format("--launcher: '{}' is not a program on PATH", words[0]));
  }
  if (access(words[0].c_str(), X_OK) != 0)
    throw UserError(fmt::format("--launcher: '{}' is not an executable file", words[0]));
  return words;
}

// Each unfinished trial's ranks need a device and a c10d backend for it here (a sweep registered by `remix slurm`
// on another machine may ask for GPUs): refused before any trial is claimed, not as one failed trial after another.
void refuse_ranks_this_build_cannot_run(const GlobalOptions& g, store::ResultsStore& store, std::int64_t sweep_id,
                                        int nproc) {
  for (const auto& t : store.sweep_trials(sweep_id)) {
    if (t.status == "completed") continue;
    auto run = store.run(t.run_id);
    if (!run) continue;
    auto cfg = trial::recorded_trial_config(*run, store.location(), t.run_id, g.plugin_paths);
    train::require_data_parallel(fmt::format("--nproc {} (trial '{}')", nproc, t.name),
                                 trial::rank_device(cfg, 0, nproc));
  }
}

int run_worker_command(const GlobalOptions& g, const WorkerCliOptions& o) {
  auto launcher = o.launcher.empty() ? std::vector<std::string>{} : launcher_command(o.launcher);
  if (!launcher.empty() && o.worker.nproc > 1)
    throw UserError("--launcher starts a trial's ranks itself; --nproc (local ranks) cannot be given with it");
  auto store = store::open_store(o.db, store::Access::ReadWrite);
  auto sweep_id = store->find_sweep(o.sweep);
  auto options = worker_options(o.worker, g, sweep_id);
  options.launcher = launcher;
  if (options.nproc > 1) refuse_ranks_this_build_cannot_run(g, *store, sweep_id, options.nproc);
  auto summary = sweep::run_worker(*store, options);
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
  cmd->add_option("--launcher", o->launcher,
                  "command that starts each trial's ranks across nodes, words separated by spaces (remix slurm --nodes "
                  "writes 'srun ...'); each rank it starts is a Slurm or torchrun-style rank");
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
