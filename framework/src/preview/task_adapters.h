// What a preview merges and where it evaluates the result: the per-task runs' final adapters and precisions
// read back from their sealed files (checked against each other and against the model), and the model of the
// group — its base with the mixture attached exactly as its trials built it, under the same seed, so that its
// fresh trainable tensors are the runs' shared start θ₀. The merging rules are named here.
#pragma once

#include <string>
#include <vector>

#include "preview/merge.h"
#include "preview/source_runs.h"
#include "train/adapted_model.h"
#include "train/task_set.h"

namespace remix::preview {

enum class Rule { Arithmetic, PrecisionSg, PrecisionIvon, DeltaW };
inline const std::vector<Rule> kRules = {Rule::Arithmetic, Rule::PrecisionSg, Rule::PrecisionIvon, Rule::DeltaW};
// "arithmetic", "precision-sg", "precision-ivon", "delta-w".
std::string rule_name(Rule rule);
// ConfigError naming `where` and the rules there are.
Rule parse_rule(const std::string& name, const std::string& where);
// The precision artifact a rule merges by ("sg", "ivon"), or "" for none.
std::string precision_kind(Rule rule);

struct TaskAdapters {
  std::vector<NamedTensors> params;                             // per task of the group, in its order
  std::map<std::string, std::vector<NamedTensors>> precisions;  // "sg"/"ivon" -> per task (kinds every run has)
};

// Reads every run's final checkpoint (and each precision kind all runs have) and checks them against `start`
// (the model's trainable tensors: names and shapes) and against each other (the same config apart from task
// weights, the same base). UserError naming the run and the file otherwise.
TaskAdapters load_task_adapters(const SourceGroup& group, const NamedTensors& start);

// The group's model, built as its trials built theirs (trial/trial_model.h), and its fresh trainable tensors.
// UserError when the base model obtained now is not the one the runs adapted.
struct PreviewModel {
  train::AdaptedModel adapted;
  NamedTensors start;
};
PreviewModel build_preview_model(const config::ResolvedConfig& cfg, const train::TaskSet& tasks,
                                 store::ResultsStore& store, const std::string& expected_base_sha256);
// Copies tensors (by name, as merged) into the model's trainable parameters.
void load_into(train::AdaptedModel& model, const NamedTensors& tensors);

// Why delta-w cannot merge this group ("" when it can: single LoRAs, no router parameters), and the config of the
// model that holds the concatenation: adapter.r and adapter.lora_alpha times the number of tasks.
std::string delta_w_refusal(const SourceGroup& group, const TaskAdapters& adapters);
// The part of it the config alone tells (before any file is read): "" for single LoRAs.
std::string single_lora_refusal(const SourceGroup& group);
config::ResolvedConfig delta_w_config(const SourceGroup& group, const config::PluginSchemaLookup& lookup);

}  // namespace remix::preview
