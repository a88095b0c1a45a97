// The body of a trial (see trial.h). Everything that can be refused without the base model is checked
// before it is pretrained or loaded.
#include "trial/trial.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "common/compute_threads.h"
#include "common/sha256.h"
#include "common/text.h"
#include "remix/errors.h"
#include "store/recorder.h"
#include "train/trainer.h"
#include "trial/base_sources.h"
#include "trial/runtime.h"
#include "trial/trial_model.h"

namespace remix::trial {

namespace {

// The trial's own folder: <output_dir>/<trial key>-<run>, where <run> names this run of this store (its
// location, id and creation time). Another database running the same config (the quickstart and a sweep
// sharing a trial), or the same database deleted and made again, never resumes from this run's checkpoints.
std::string trial_folder(const config::ResolvedConfig& cfg, store::ResultsStore& store, std::int64_t run_id) {
  auto run = store.run(run_id);
  std::string where = fmt::format("{}#{}@{:.6f}", std::filesystem::weakly_canonical(store.location()).string(),
                                  run_id, run ? run->created_at : 0.0);
  std::string name = cfg.trial_key().substr(0, 12) + "-" + sha256_hex(where).substr(0, 8);
  return (std::filesystem::path(cfg.get_string("experiment.output_dir")) / name).string();
}

// What a checkpoint must match to be resumed from: the trial's config and the base model it adapts (a base
// cache rebuilt in between gives other weights under the same config).
nlohmann::json checkpoint_identity(const config::ResolvedConfig& cfg, const train::AdaptedModel& model) {
  auto identity = cfg.identity();
  auto it = model.tags.find("base.sha256");
  identity["base_model_sha256"] = it == model.tags.end() ? "" : it->second;
  return identity;
}

}  // namespace

TrialOutcome execute_trial(const config::ResolvedConfig& cfg, store::ResultsStore& store, std::int64_t run_id,
                           train::DataParallel* group) {
  const bool records = !group || group->rank() == 0;  // the other ranks of a data-parallel trial write nothing
  auto device = set_runtime(cfg);
  if (group) device = group->device();  // a GPU rank's own GPU (trial::rank_device)
  train::TaskSet tasks(cfg);
  if (records) store.record_tags(run_id, tasks.tags());
  auto shape = base_model_source(cfg).shape(cfg);
  if (shape.chat) tasks.format_prompts([&](const std::string& p) { return shape.chat->prompt(p); });
  tasks.check_fits(*shape.tokenizer, shape.context_length);
  fitted_mixture_options(cfg);
  refuse_credit_the_router_cannot_take(cfg);
  auto options = train::TrainerOptions::from(cfg);

  // Rank 0 obtains the base first (pretraining and caching it if needed, recorded as its own run); the others then
  // load the cached one.
  if (!records) group->sum({0});
  auto model = build_trial_model(obtain_base_model({cfg, tasks, store}), cfg);
  if (records && group) group->sum({0});
  model.model->to(torch::Device(device));  // base, adapters and routers: before the optimizer sees them
  auto active = model.active_lora_parameters(cfg.get_int("adapter.top_k"));
  auto tags = model.tags;
  tags["params.lora"] = std::to_string(model.lora_parameters);
  tags["params.router"] = std::to_string(model.router_parameters);
  tags["params.lora_active_per_token"] = std::to_string(active);
  tags["runtime.threads"] = std::to_string(compute_threads());
  tags["runtime.device"] = device;
  tags["runtime.world_size"] = std::to_string(group ? group->world_size() : 1);
  if (group) tags["runtime.c10d_backend"] = group->backend();
  if (records) store.record_tags(run_id, tags);

  // A checkpoint refused as corrupt or incomplete is named in the run's tags as well as in the log.
  train::TrialCheckpoints checkpoints(trial_folder(cfg, store, run_id), checkpoint_identity(cfg, model), 2,
                                      [&](const train::RejectedCheckpoint& r) {
                                        auto name = std::filesystem::path(r.path).filename().string();
                                        if (records)
                                          store.record_tags(run_id, {{"checkpoint.rejected." + name, r.problem}});
                                      });
  std::optional<store::MetricsRecorder> recorder;
  if (records) {
    recorder.emplace(store, run_id);
    recorder->log("final/params/lora_active_per_token", 0, static_cast<double>(active));
  }
  train::Trainer trainer(options, model, tasks, recorder ? &*recorder : nullptr, checkpoints, group);
  auto final = trainer.run();
  if (!records) return {"rank " + std::to_string(group->rank()) + " done"};
  recorder->flush();
  if (const auto& last = checkpoints.last_saved())
    store.add_artifact(run_id, "checkpoint", last->path, options.steps, last->sha256,
                       static_cast<std::int64_t>(std::filesystem::file_size(last->path)));
  for (const auto& [kind, file] : trainer.precisions())  // what multitask previews merge by
    store.add_artifact(run_id, "precision/" + kind, file.path, options.steps, file.sha256,
                       static_cast<std::int64_t>(std::filesystem::file_size(file.path)));
  std::vector<std::string> parts;
  for (const auto& [k, v] : final) parts.push_back(fmt::format("{} {:.4g}", k, v));
  return {text::join(parts, ", ")};
}

}  // namespace remix::trial
