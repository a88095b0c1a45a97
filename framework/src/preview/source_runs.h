// The per-task runs a preview merges, found in a sweep: completed trials that trained on one task alone (every
// other task's weight 0), grouped by everything else in their configs. A group holds one run per task of the
// config, all adapting the same base from the same initialisation (seed) with the same adapter shape and router;
// the sweep's runs at other weightings in the same group are the real multitask trials the previews are compared
// with (report/preview_comparison.h). Every way a sweep can fail to give such groups is refused here, naming the
// run and what is missing.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/resolved_config.h"
#include "store/results_store.h"

namespace remix::preview {

struct TaskRun {
  std::int64_t run_id = 0;
  std::string run_key, name, task;
  config::ResolvedConfig config;
  std::string base_sha256;                        // the base model it adapted (tag base.sha256)
  std::string checkpoint;                         // its final checkpoint (artifact)
  std::map<std::string, std::string> precisions;  // "sg", "ivon" -> precision file (artifacts precision/<kind>)
};

// How messages name a run: "run 12 'name' (trained on math alone)".
std::string describe(const TaskRun& r);

struct SourceGroup {
  std::string label;              // what sets it apart from the sweep's other groups ("router.plugin=lora"), or "all"
  nlohmann::json shared;          // the runs' config without task weights (config::without_task_weights)
  std::vector<std::string> tasks;  // sorted
  std::vector<TaskRun> runs;       // one per task, in `tasks` order
};

// UserError (exit 2) naming the sweep or the run: no such sweep, a per-task run not completed or without a
// checkpoint, two per-task runs for one task in a group, a group without a run for some task (naming the nearest
// run of another group and the keys they differ in: base, seed, adapter, router), runs of a group that adapted
// different base models.
std::vector<SourceGroup> find_source_groups(store::ResultsStore& store, const std::string& sweep,
                                            const config::PluginSchemaLookup& lookup);

}  // namespace remix::preview
