// Reading the per-task adapters and building the model previews evaluate (see task_adapters.h).
#include "preview/task_adapters.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include "common/text.h"
#include "config/task_weights.h"
#include "remix/errors.h"
#include "train/trial_checkpoint.h"
#include "trial/base_sources.h"
#include "trial/trial_model.h"

namespace remix::preview {

namespace {

// The file's tensors in `start`'s order; UserError naming the run and file for a missing or misshapen one.
NamedTensors aligned(const TaskRun& run, const std::string& file, const train::StoredTensors& stored,
                     const NamedTensors& start) {
  std::map<std::string, torch::Tensor> by_name(stored.tensors.begin(), stored.tensors.end());
  NamedTensors out;
  for (const auto& [name, t] : start) {
    auto it = by_name.find(name);
    if (it == by_name.end())
      throw UserError(fmt::format("{}: {} has no tensor '{}' the group's model trains; it was not written for this "
                                  "model",
                                  describe(run), file, name));
    if (!it->second.sizes().equals(t.sizes()))
      throw UserError(fmt::format("{}: {} holds '{}' as [{}], the group's model as [{}]", describe(run), file, name,
                                  fmt::join(it->second.sizes(), ", "), fmt::join(t.sizes(), ", ")));
    out.emplace_back(name, it->second.to(t.dtype()));
  }
  if (by_name.size() != start.size())
    throw UserError(fmt::format("{}: {} holds {} tensors, the group's model trains {}", describe(run), file,
                                by_name.size(), start.size()));
  return out;
}

train::StoredTensors read(const TaskRun& run, const std::string& file) {
  try {
    return train::read_stored_tensors(file);
  } catch (const UserError& e) {
    throw UserError(fmt::format("{}: {}", describe(run), e.what()));
  }
}

}  // namespace

std::string rule_name(Rule rule) {
  switch (rule) {
    case Rule::Arithmetic: return "arithmetic";
    case Rule::PrecisionSg: return "precision-sg";
    case Rule::PrecisionIvon: return "precision-ivon";
    case Rule::DeltaW: return "delta-w";
  }
  return "?";
}

Rule parse_rule(const std::string& name, const std::string& where) {
  std::vector<std::string> names;
  for (auto r : kRules) {
    if (rule_name(r) == name) return r;
    names.push_back(rule_name(r));
  }
  throw ConfigError(fmt::format("{}: no merging rule '{}'{}; the rules are {}", where, name,
                                text::did_you_mean(name, names), text::join(names, ", ")));
}

std::string precision_kind(Rule rule) {
  if (rule == Rule::PrecisionSg) return "sg";
  if (rule == Rule::PrecisionIvon) return "ivon";
  return "";
}

TaskAdapters load_task_adapters(const SourceGroup& group, const NamedTensors& start) {
  TaskAdapters out;
  nlohmann::json first_identity;
  for (const auto& run : group.runs) {
    auto stored = read(run, run.checkpoint);
    // The checkpoint's own record of what trained it: the same config apart from the weights, the same base.
    auto identity = config::without_task_weights(stored.meta.value("config", nlohmann::json::object()));
    if (out.params.empty()) {
      first_identity = identity;
    } else if (identity != first_identity) {
      throw UserError(fmt::format("{}: its checkpoint {} was trained from another config or base than {}'s; "
                                  "adapters merge only from the same base and initialisation",
                                  describe(run), run.checkpoint, describe(group.runs[0])));
    }
    out.params.push_back(aligned(run, run.checkpoint, stored, start));
  }
  for (const auto& kind : {std::string("sg"), std::string("ivon")}) {
    bool all = true;
    for (const auto& run : group.runs) all = all && run.precisions.count(kind);
    if (!all) continue;
    for (const auto& run : group.runs) {
      const auto& file = run.precisions.at(kind);
      out.precisions[kind].push_back(aligned(run, file, read(run, file), start));
    }
  }
  return out;
}

PreviewModel build_preview_model(const config::ResolvedConfig& cfg, const train::TaskSet& tasks,
                                 store::ResultsStore& store, const std::string& expected_base_sha256) {
  PreviewModel out{trial::build_trial_model(trial::obtain_base_model({cfg, tasks, store}), cfg), {}};
  auto it = out.adapted.tags.find("base.sha256");
  std::string sha = it == out.adapted.tags.end() ? "" : it->second;
  if (sha != expected_base_sha256)
    throw UserError(fmt::format("the base model obtained now ({}) is not the one the per-task runs adapted ({}): was "
                                "the base cache rebuilt since? previews need the runs' own base",
                                sha.substr(0, 12), expected_base_sha256.substr(0, 12)));
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : out.adapted.trainable()) out.start.emplace_back(name, t.detach().clone());
  out.adapted.model->eval();
  return out;
}

void load_into(train::AdaptedModel& model, const NamedTensors& tensors) {
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : model.trainable()) {
    auto it = by_name.find(name);
    if (it == by_name.end() || !it->second.sizes().equals(t.sizes()))
      throw std::logic_error("load_into: the merged tensors do not fit the model at " + name);
    t.copy_(it->second);
  }
}

std::string single_lora_refusal(const SourceGroup& group) {
  auto n = group.runs[0].config.get_int("adapter.num_experts");
  if (n == 1) return "";
  return fmt::format("delta-w merges single LoRAs, and the runs of group '{}' have adapter.num_experts = {}",
                     group.label, n);
}

std::string delta_w_refusal(const SourceGroup& group, const TaskAdapters& adapters) {
  if (auto problem = single_lora_refusal(group); !problem.empty()) return problem;
  for (const auto& [name, t] : adapters.params[0])
    if (!text::ends_with(name, ".A") && !text::ends_with(name, ".B"))
      return fmt::format("delta-w merges LoRA factors only, and '{}' is not one (a router parameter?)", name);
  return "";
}

config::ResolvedConfig delta_w_config(const SourceGroup& group, const config::PluginSchemaLookup& lookup) {
  const auto& cfg = group.runs[0].config;
  auto tree = cfg.tree();
  auto t = static_cast<std::int64_t>(group.tasks.size());
  tree["adapter"]["r"] = cfg.get_int("adapter.r") * t;
  tree["adapter"]["lora_alpha"] = cfg.get_float("adapter.lora_alpha") * static_cast<double>(t);
  return config::resolve_json(tree, fmt::format("delta-w model of run {}", group.runs[0].run_id), lookup);
}

}  // namespace remix::preview
