// `remix run FILE [overrides]`: expands the experiment into its trials (the sweep block and command-line
// comma lists), records them all in the results database, then works through them as a sweep worker (each
// trial in its own process, `--jobs` at a time) and prints a summary. Running the same command again resumes:
// completed trials are skipped, interrupted and orphaned ones continue from their checkpoints.
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/trial_table.h"
#include "common/log.h"
#include "config/resolved_config.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "report/table.h"
#include "store/query.h"
#include "store/results_db.h"
#include "sweep/expansion.h"
#include "sweep/trial_queue.h"
#include "sweep/worker.h"

namespace remix::cli {

namespace {

struct RunOptions {
  std::string file;
  std::vector<std::string> overrides;
  int jobs = 1;
  std::string shard = "0/1";
  bool dry_run = false, retry_failed = false;
  double stale_after = 120;
};

// Trial statuses already in the database (read-only; a dry run writes nothing).
std::map<std::string, std::string> known_statuses(const std::string& db_path) {
  std::map<std::string, std::string> out;
  if (!std::filesystem::exists(db_path)) return out;
  auto rows = store::query_readonly(db_path, "SELECT run_key, status FROM runs");
  for (const auto& r : rows.rows) out[std::get<std::string>(r[0])] = std::get<std::string>(r[1]);
  return out;
}

int dry_run(const std::vector<sweep::ResolvedTrial>& trials, const std::string& db_path) {
  auto statuses = known_statuses(db_path);
  report::Table t;
  t.columns = {"#", "trial", "key", "status"};
  std::size_t done = 0;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    auto key = trials[i].config.trial_key();
    auto it = statuses.find(key);
    std::string status = it == statuses.end() ? "new" : it->second;
    done += status == "completed";
    t.rows.push_back({static_cast<std::int64_t>(i), trials[i].spec.name, key.substr(0, 12), status});
  }
  fmt::print("{}{} trials, {} completed, {} to run (database {})\n", report::render(t, report::TableFormat::Text),
             trials.size(), done, trials.size() - done, db_path);
  return 0;
}

int run_experiment(const GlobalOptions& g, const RunOptions& o) {
  auto shard = sweep::parse_shard(o.shard);
  if (o.jobs < 1) throw UserError("--jobs must be at least 1");
  if (o.dry_run) {
    auto plan = sweep::expand_sweep(o.file, o.overrides);
    auto trials = sweep::resolve_trials(plan, plugin::schema_lookup(g.plugin_paths));
    return dry_run(trials, trials.front().config.get_string("experiment.db"));
  }
  auto registered = register_experiment(g, o.file, o.overrides);
  store::ResultsDb db(registered.db_path);

  sweep::WorkerOptions w;
  w.db_path = registered.db_path;
  w.sweep_id = registered.id;
  w.shard = shard;
  w.jobs = o.jobs;
  w.stale_seconds = o.stale_after;
  w.retry_failed = o.retry_failed;
  w.trial_args = trial_arguments(g);
  auto summary = sweep::run_worker(w);

  fmt::print("{}", report::render(trial_table(db, registered.id), report::TableFormat::Text));
  if (summary.signal) return 128 + summary.signal;
  return summary.last_exit_code;
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "run the experiment in FILE: one trial, or every trial of its sweep");
  cmd->add_option("file", o->file, "experiment YAML")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value, +key.path=value, ~key.path; a=v1,v2 is a sweep axis");
  cmd->add_option("-j,--jobs", o->jobs, "trials run at once, each in its own process")->capture_default_str();
  cmd->add_option("--shard", o->shard, "take only trials whose position % N == i")->capture_default_str();
  cmd->add_flag("--dry-run", o->dry_run, "print the trials and which are done; run and record nothing");
  cmd->add_flag("--retry-failed", o->retry_failed, "run failed trials again (completed ones never rerun)");
  cmd->add_option("--stale-after", o->stale_after, "seconds without heartbeat before a running trial is re-queued")
      ->capture_default_str();
  cmd->callback([o, &global, &action] { action = [o, &global] { return run_experiment(global, *o); }; });
}

}  // namespace remix::cli
