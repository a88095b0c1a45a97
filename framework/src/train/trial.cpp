// The body of a trial (see trial.h). Until the trainer lands this starts every plugin the trial names,
// counts the tasks' examples and records what each task says about itself.
#include "train/trial.h"

#include <fmt/format.h>

#include "common/build_info.h"
#include "common/log.h"
#include "plugin/library.h"
#include "store/recorder.h"

namespace remix::train {

TrialOutcome execute_trial(const config::ResolvedConfig& cfg, store::ResultsDb& db, std::int64_t run_id) {
  store::MetricsRecorder recorder(db.db(), run_id);
  std::string summary;
  std::map<std::string, std::string> tags;
  for (const auto& name : cfg.task_names()) {
    auto lib = plugin::PluginLibrary::open(cfg.plugin("tasks." + name).path);
    TaskContext ctx;
    ctx.name = name;
    ctx.seed = static_cast<std::uint64_t>(cfg.get_int("seed"));
    ctx.data_dir = build_info::datasets_dir();
    ctx.warn = [name](const std::string& message) { log::warn("task {}: {}", name, message); };
    auto task = lib->create_task(cfg.plugin_params("tasks." + name), ctx);
    auto train = task->examples(Split::Train).size(), eval = task->examples(Split::Eval).size();
    recorder.log("data/" + name + "/train_examples", 0, static_cast<double>(train));
    recorder.log("data/" + name + "/eval_examples", 0, static_cast<double>(eval));
    for (const auto& [key, value] : task->tags()) tags["task." + name + "." + key] = value;
    for (const auto& [key, value] : task->stats()) tags["task." + name + ".stats." + key] = fmt::format("{}", value);
    summary += fmt::format("{}{}: {} train / {} eval", summary.empty() ? "" : ", ", name, train, eval);
  }
  db.record_tags(run_id, tags);
  return {summary};
}

}  // namespace remix::train
