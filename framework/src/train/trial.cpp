// The body of a trial (see trial.h). Until the model core lands this starts every plugin the trial names
// and counts the tasks' examples; the trainer replaces it.
#include "train/trial.h"

#include <fmt/format.h>

#include "plugin/library.h"
#include "store/recorder.h"

namespace remix::train {

TrialOutcome execute_trial(const config::ResolvedConfig& cfg, store::ResultsDb& db, std::int64_t run_id) {
  store::MetricsRecorder recorder(db.db(), run_id);
  std::string summary;
  for (const auto& name : cfg.task_names()) {
    auto lib = plugin::PluginLibrary::open(cfg.plugin("tasks." + name).path);
    TaskContext ctx;
    ctx.name = name;
    ctx.seed = static_cast<std::uint64_t>(cfg.get_int("seed"));
    auto task = lib->create_task(cfg.plugin_params("tasks." + name), ctx);
    auto train = task->examples(Split::Train).size(), eval = task->examples(Split::Eval).size();
    recorder.log("data/" + name + "/train_examples", 0, static_cast<double>(train));
    recorder.log("data/" + name + "/eval_examples", 0, static_cast<double>(eval));
    summary += fmt::format("{}{}: {} train / {} eval", summary.empty() ? "" : ", ", name, train, eval);
  }
  return {summary};
}

}  // namespace remix::train
