// Reading a finetuned trial back and rebuilding its model (see finetuned_trial.h).
#include "trial/finetuned_trial.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <algorithm>
#include <filesystem>
#include <map>

#include "model/model_path.h"
#include "remix/errors.h"
#include "store/results_store.h"
#include "store/sql_value.h"
#include "trial/base_sources.h"
#include "trial/trial_model.h"

namespace remix::trial {

namespace {

FinetunedTrial read_checkpoint(const std::string& path, const std::string& label,
                               const config::PluginSchemaLookup& lookup) {
  if (!std::filesystem::is_regular_file(path))
    throw DataError(fmt::format("{}: no checkpoint file {}", label, path));
  FinetunedTrial t;
  t.label = label;
  t.checkpoint = path;
  t.stored = train::read_stored_tensors(path);
  if (t.stored.meta.value("format", "") != "remix-trial-checkpoint" || !t.stored.meta.contains("config"))
    throw DataError(fmt::format("{}: {} is a remix '{}' file, not a trial checkpoint", label, path,
                                t.stored.meta.value("format", "?")));
  // The checkpoint's identity: the trial's config (keys that do not change what it computes left out, so they
  // resolve to their defaults) and the sha256 of the base it adapted.
  auto tree = t.stored.meta["config"];
  if (tree.contains("base_model_sha256")) {
    t.base_sha256 = tree["base_model_sha256"].get<std::string>();
    tree.erase("base_model_sha256");
  }
  t.config = config::resolve_json(tree, fmt::format("the config in {}", path), lookup);
  return t;
}

// The run's id: `run` as an id, a trial key or a unique key prefix.
std::int64_t find_run_id(store::ResultsStore& store, const std::string& run) {
  const bool digits = !run.empty() && std::all_of(run.begin(), run.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && run.size() < 12) {
    if (store.run(std::stoll(run))) return std::stoll(run);
    throw UserError(fmt::format("{}: no run with id {}", store::redact_location(store.location()), run));
  }
  auto rows = store.read("SELECT id FROM runs WHERE run_key LIKE ? ORDER BY id", {run + "%"}).rows;
  if (rows.size() == 1) return std::stoll(store::to_text(rows[0][0]));
  throw UserError(fmt::format("{}: {} run key starts with '{}' (give a run id or a longer key: remix runs {})",
                              store::redact_location(store.location()), rows.empty() ? "no" : "more than one", run,
                              store::redact_location(store.location())));
}

// Checkpoint tensors in the model's order, shape-checked; UserError naming the tensor otherwise.
void copy_in(const FinetunedTrial& t, train::AdaptedModel& model) {
  std::map<std::string, torch::Tensor> stored(t.stored.tensors.begin(), t.stored.tensors.end());
  torch::NoGradGuard no_grad;
  auto params = model.trainable();
  for (auto& [name, p] : params) {
    auto it = stored.find(name);
    if (it == stored.end())
      throw UserError(
          fmt::format("{}: {} has no tensor '{}' that its config's model trains", t.label, t.checkpoint, name));
    if (!it->second.sizes().equals(p.sizes()))
      throw UserError(fmt::format("{}: {} holds '{}' as [{}], the model built on this base as [{}]: is this the base "
                                  "the trial adapted?",
                                  t.label, t.checkpoint, name, fmt::join(it->second.sizes(), ", "),
                                  fmt::join(p.sizes(), ", ")));
    p.copy_(it->second);
  }
  if (stored.size() != params.size())
    throw UserError(fmt::format("{}: {} holds {} tensors, the model built from its config trains {}", t.label,
                                t.checkpoint, stored.size(), params.size()));
}

}  // namespace

FinetunedTrial finetuned_from_checkpoint(const std::string& path, const config::PluginSchemaLookup& lookup) {
  return read_checkpoint(path, path, lookup);
}

FinetunedTrial finetuned_from_run(const std::string& db, const std::string& run,
                                  const config::PluginSchemaLookup& lookup) {
  auto store = store::open_store(db, store::Access::ReadOnly);
  const auto id = find_run_id(*store, run);
  const auto record = store->run(id);
  const auto label = fmt::format("{} run {} '{}'", store::redact_location(db), id, record->name);
  std::string checkpoint;
  for (const auto& row : store->read("SELECT kind, path FROM artifacts WHERE run_id = ? ORDER BY id", {id}).rows)
    if (store::to_text(row[0]) == "checkpoint") checkpoint = store::to_text(row[1]);  // the newest last
  if (checkpoint.empty())
    throw UserError(fmt::format("{}: is {} and recorded no checkpoint", label, record->status));
  if (!std::filesystem::exists(checkpoint))
    throw UserError(fmt::format("{}: its checkpoint {} is not there (artifact paths are relative to the folder "
                                "`remix run` ran in: run this command there)",
                                label, checkpoint));
  return read_checkpoint(checkpoint, label, lookup);
}

FinetunedModel load_finetuned_model(const FinetunedTrial& t, const std::string& model_path) {
  const auto source = t.config.get_string("base.source");
  std::string path = model_path;
  if (path.empty()) {
    if (source != "hf" && source != "gguf")
      throw UserError(fmt::format("{}: its base is base.source {}; pass the model with --model (a Hugging Face "
                                  "folder or a .gguf file)",
                                  t.label, source));
    path = t.config.get_string("base.path");
  }
  if (!t.base_sha256.empty()) {
    auto sha = model::model_path_sha256(path);
    if (sha != t.base_sha256)
      throw UserError(fmt::format("{}: the model {} (sha256 {}) is not the base the run adapted (sha256 {}, {})",
                                  t.label, path, sha.substr(0, 12), t.base_sha256.substr(0, 12),
                                  t.config.get_string("base.path")));
  }
  auto [chat, tokenizer] = prompt_format_of(t.config, path, model::load_tokenizer_from(path));
  BaseModel base{model::load_model_from(path), tokenizer, {}};
  base.model->freeze_base();
  store_frozen_as_configured(t.config, *base.model);
  base.model->eval();
  FinetunedModel out{build_trial_model(base, t.config), chat};
  copy_in(t, out.adapted);
  out.adapted.model->eval();
  return out;
}

}  // namespace remix::trial
