// The body of a trial (see trial.h): the tasks, the model, the trainer, in that order, with every check that
// can fail fast done before the base model is pretrained or loaded.
#include "train/trial.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "adapter/mixture_options.h"
#include "common/compute_threads.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/text.h"
#include "model/llama2c.h"
#include "plugin/library.h"
#include "remix/errors.h"
#include "store/recorder.h"
#include "train/trainer.h"
#include "train/trial_model.h"

namespace remix::train {

namespace {

void set_runtime(const config::ResolvedConfig& cfg) {
  std::string device = cfg.get_string("runtime.device");
  if (device == "cuda" && !torch::cuda::is_available())
    throw ConfigError("runtime.device: cuda was asked for, but this LibTorch has no CUDA device (Debian's "
                      "libtorch-dev is CPU-only); use cpu or auto");
  auto threads = cfg.get_int("runtime.threads");
  // 0 = all cores, or the share a worker running several trials at once hands each of them.
  if (const char* share = std::getenv("REMIX_DEFAULT_THREADS"); threads == 0 && share) threads = std::atoll(share);
  set_compute_threads(static_cast<int>(threads));
}

// The context length the trial's model will have: the llama2.c header's, or model.max_seq_len.
std::int64_t context_length(const config::ResolvedConfig& cfg) {
  if (cfg.get_string("base.source") == "llama2c") return model::read_llama2c_header(cfg.get_string("base.path")).max_seq_len();
  return cfg.get_int("model.max_seq_len");
}

// Whether the router plugin trains by policy gradient, asked of a probe router before any real work.
bool router_needs_policy_gradient(const config::ResolvedConfig& cfg) {
  auto lib = plugin::PluginLibrary::open(cfg.plugin("router").path);
  auto options = adapter::mixture_options_from(cfg);
  return lib->create_router(cfg.plugin_params("router"), options.router_context("probe", cfg.get_int("model.dim")))
      ->needs_policy_gradient();
}

// The trial's own folder: <output_dir>/<trial key>-<run>, where <run> names this run of this database (its
// path, id and creation time). Another database running the same config (the quickstart and a sweep sharing a
// trial), or the same database deleted and made again, never resumes from this run's checkpoints.
std::string trial_folder(const config::ResolvedConfig& cfg, store::ResultsDb& db, std::int64_t run_id) {
  auto run = db.run(run_id);
  std::string where = fmt::format("{}#{}@{:.6f}", std::filesystem::weakly_canonical(db.path()).string(), run_id,
                                  run ? run->created_at : 0.0);
  std::string name = cfg.trial_key().substr(0, 12) + "-" + sha256_hex(where).substr(0, 8);
  return (std::filesystem::path(cfg.get_string("experiment.output_dir")) / name).string();
}

// What a checkpoint must match to be resumed from: the trial's config and the base model it adapts (a base
// cache rebuilt in between gives other weights under the same config).
nlohmann::json checkpoint_identity(const config::ResolvedConfig& cfg, const TrialModel& model) {
  auto identity = cfg.identity();
  auto it = model.tags.find("base.sha256");
  identity["base_model_sha256"] = it == model.tags.end() ? "" : it->second;
  return identity;
}

}  // namespace

TrialOutcome execute_trial(const config::ResolvedConfig& cfg, store::ResultsDb& db, std::int64_t run_id) {
  set_runtime(cfg);
  TaskSet tasks(cfg);
  db.record_tags(run_id, tasks.tags());
  tasks.check_fits(*model::make_tokenizer(cfg), context_length(cfg));
  auto options = TrainerOptions::from(cfg, router_needs_policy_gradient(cfg));

  TrialModel model = build_trial_model(cfg, tasks, db);
  auto active = cfg.get_int("adapter.top_k");
  auto tags = model.tags;
  tags["params.lora"] = std::to_string(model.lora_parameters);
  tags["params.router"] = std::to_string(model.router_parameters);
  tags["params.lora_active_per_token"] = std::to_string(model.active_lora_parameters(active));
  tags["runtime.threads"] = std::to_string(compute_threads());
  tags["runtime.device"] = "cpu";
  db.record_tags(run_id, tags);

  TrialCheckpoints checkpoints(trial_folder(cfg, db, run_id), checkpoint_identity(cfg, model));
  store::MetricsRecorder recorder(db.db(), run_id);
  recorder.log("final/params/lora_active_per_token", 0, static_cast<double>(model.active_lora_parameters(active)));
  Trainer trainer(options, model, tasks, recorder, checkpoints);
  auto final = trainer.run();
  recorder.flush();
  if (auto last = checkpoints.latest())
    db.add_artifact(run_id, "checkpoint", *last, options.steps, sha256_file_hex(*last),
                    static_cast<std::int64_t>(std::filesystem::file_size(*last)));
  std::vector<std::string> parts;
  for (const auto& [k, v] : final) parts.push_back(fmt::format("{} {:.4g}", k, v));
  return {text::join(parts, ", ")};
}

}  // namespace remix::train
