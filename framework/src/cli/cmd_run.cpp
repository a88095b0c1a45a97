// `remix run FILE [overrides]`: resolves the experiment, records the trial (params, provenance tags, plugin
// identities) in the results database, and runs it.
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "common/build_info.h"
#include "common/log.h"
#include "common/sha256.h"
#include "config/resolved_config.h"
#include "plugin/library.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "store/provenance.h"
#include "store/results_db.h"

namespace remix::cli {

namespace {

struct RunOptions {
  std::string file;
  std::vector<std::string> overrides;
};

int run_trial(const GlobalOptions& g, const RunOptions& o) {
  auto parsed = config::parse_overrides(o.overrides);
  if (!parsed.axes.empty())
    throw UserError(fmt::format("override '{}' is a sweep axis; sweeps are not available yet", parsed.axes[0].text));
  auto cfg = config::resolve(o.file, parsed.fixed, plugin::schema_lookup(g.plugin_paths));

  store::ResultsDb db(cfg.get_string("experiment.db"));
  auto experiment = db.ensure_experiment(cfg.get_string("experiment.name"));
  std::string name = o.overrides.empty() ? cfg.get_string("experiment.name") : fmt::format("{}", fmt::join(o.overrides, " "));
  auto [run_id, created] = db.ensure_run(experiment, cfg.trial_key(), name, "trial", cfg.tree().dump());
  db.record_params(run_id, cfg.flatten());
  auto tags = store::provenance_tags();
  tags.merge(store::config_file_tags(o.file));
  for (const auto& block : std::vector<std::string>{"router"}) {
    const auto& p = cfg.plugin(block);
    tags["plugin." + block + ".name"] = p.name;
    tags["plugin." + block + ".version"] = p.version;
    tags["plugin." + block + ".path"] = p.path;
    tags["plugin." + block + ".sha256"] = sha256_file_hex(p.path);
  }

  // Start every plugin the trial names: a plugin that cannot start fails here, before any work. What a task
  // says about itself (sandbox kind, data files, skipped records) is stored with the run.
  for (const auto& task_name : cfg.task_names()) {
    auto lib = plugin::PluginLibrary::open(cfg.plugin("tasks." + task_name).path);
    TaskContext ctx;
    ctx.name = task_name;
    ctx.seed = static_cast<std::uint64_t>(cfg.get_int("seed"));
    ctx.data_dir = build_info::datasets_dir();
    ctx.warn = [task_name](const std::string& message) { log::warn("task {}: {}", task_name, message); };
    auto task = lib->create_task(cfg.plugin_params("tasks." + task_name), ctx);
    log::info("task {}: {} train / {} eval examples", task_name, task->examples(Split::Train).size(),
              task->examples(Split::Eval).size());
    for (const auto& [key, value] : task->tags()) tags["task." + task_name + "." + key] = value;
    for (const auto& [key, value] : task->stats())
      tags["task." + task_name + ".stats." + key] = fmt::format("{}", value);
  }
  db.record_tags(run_id, tags);
  log::info("trial {} ({}) recorded in {} as run {}{}", cfg.trial_key().substr(0, 12), name, db.path(), run_id,
            created ? "" : " (already known)");
  log::warn("training is not implemented in this version of remix; the trial stays pending");
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "run the experiment in FILE (with command-line overrides)");
  cmd->add_option("file", o->file, "experiment YAML")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value, +key.path=value, ~key.path; a=v1,v2 is a sweep axis");
  cmd->callback([o, &global, &action] { action = [o, &global] { return run_trial(global, *o); }; });
}

}  // namespace remix::cli
