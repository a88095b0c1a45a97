// The `pretrain` source: load the cached base, or pretrain it once under a file lock (see pretrained_base.h).
#include "trial/pretrained_base.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "common/compute_threads.h"
#include "common/interrupt.h"
#include "common/log.h"
#include "common/sealed_file.h"
#include "common/sha256.h"
#include "common/text.h"
#include "model/checkpoint.h"
#include "remix/errors.h"
#include "store/recorder.h"
#include "train/pretrain.h"
#include "train/progress.h"

namespace remix::trial {

namespace fs = std::filesystem;

namespace {

// An exclusive lock on a file, held for the scope (another process asking for it waits).
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw DataError(path + ": cannot create the lock file of the base-model cache");
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

// Runs `body` as the pretraining run of base `key`: registered, started, its metrics recorded, the cached
// file (its digest is what `body` returns) recorded as an artifact, and its end (completed, interrupted,
// failed) recorded however it ends.
void record_pretraining_run(store::ResultsStore& store, const config::ResolvedConfig& cfg, const std::string& key,
                            const nlohmann::json& identity,
                            const std::function<std::string(store::MetricsRecorder&)>& body, const std::string& file) {
  store::PendingRun pending{"base-" + key, "base model " + key.substr(0, 12), "pretrain", identity.dump(), {}};
  for (const auto& [k, v] : cfg.flatten())
    if (text::starts_with(k, "model.") || text::starts_with(k, "base.")) pending.params.emplace_back(k, v);
  auto run_id = store.register_run(store.ensure_experiment(cfg.get_string("experiment.name")), pending).first;
  store.begin_attempt(run_id);
  try {
    std::string digest;
    {
      store::MetricsRecorder recorder(store, run_id);
      digest = body(recorder);
    }
    store.add_artifact(run_id, "base_model", file, std::nullopt, digest, static_cast<std::int64_t>(fs::file_size(file)));
    store.complete(run_id);
  } catch (const Interrupted&) {
    store.interrupt(run_id, "interrupted while pretraining");
    throw;
  } catch (const std::exception& e) {
    store.fail(run_id, e.what());
    throw;
  }
}

train::PretrainOptions pretrain_options(const config::ResolvedConfig& cfg) {
  train::PretrainOptions p;
  p.steps = cfg.get_int("base.pretrain.steps");
  p.batch_size = cfg.get_int("base.pretrain.batch_size");
  p.lr = cfg.get_float("base.pretrain.lr");
  p.warmup_steps = cfg.get_int("base.pretrain.warmup_steps");
  p.seed = static_cast<std::uint64_t>(cfg.get_int("base.pretrain.seed"));
  return p;
}

}  // namespace

std::string pretrain_key(const config::ResolvedConfig& cfg, const model::TransformerOptions& options,
                         const std::string& tokenizer_kind, const std::vector<std::string>& documents) {
  nlohmann::json id = {{"model", model::to_json(options)},
                       {"tokenizer", tokenizer_kind},
                       {"pretrain", cfg.at("base.pretrain")},
                       {"corpus", sha256_hex(text::join(documents, "\n"))}};
  return sha256_hex(id.dump());
}

BaseModel obtain_pretrained_base(const BaseModelRequest& request) {
  const auto& cfg = request.cfg;
  BaseModel base;
  base.tokenizer = model::make_tokenizer(cfg);
  auto options = model::transformer_options_from(cfg, base.tokenizer->vocab_size());
  auto documents = request.tasks.pretraining_documents();
  std::string key = pretrain_key(cfg, options, base.tokenizer->kind(), documents);
  fs::path dir = cfg.get_string("base.cache_dir");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) throw ConfigError(fmt::format("base.cache_dir: cannot create '{}'", dir.string()));
  std::string file = (dir / ("base-" + key.substr(0, 16) + ".pt")).string();
  auto expected = model::base_model_config(options, base.tokenizer->kind());

  FileLock lock(file + ".lock");  // one process pretrains; the others wait and then load its result
  // Holding the lock, a temporary file of this entry is what a killed pretraining left mid-write.
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(fs::path(file).filename().string() + ".tmp.", 0) == 0 ||
        e.path().filename().string().rfind(fs::path(file).filename().string() + ".sha256.tmp.", 0) == 0)
      fs::remove(e.path(), ec);
  // The initial weights come from base.pretrain.seed alone, not from whatever the process drew before: every
  // trial asking for this base gets the same one.
  torch::manual_seed(static_cast<std::uint64_t>(cfg.get_int("base.pretrain.seed")));
  base.model = model::Transformer(options);
  // Only a complete, intact cache entry is trusted; a corrupt or unsealed one is set aside and pretrained again.
  std::string digest;
  if (fs::exists(file)) {
    auto check = check_sealed_file(file);
    if (check.intact) {
      digest = check.digest;
    } else {
      log::warn("base model: the cached {} is refused: {}; pretraining it again", file, check.problem);
      base.tags["base.cache_rejected"] = file + ": " + check.problem;
      remove_sealed_file(file);
    }
  }
  if (!digest.empty()) {
    log::info("base model: {} (cached)", file);
    model::load_checkpoint(file, *base.model, expected);
  } else {
    auto p = pretrain_options(cfg);
    // Trials waiting on this lock need the same base: pretraining takes every core unless runtime.threads says
    // otherwise, then hands back the share the trial was given.
    int trial_threads = compute_threads();
    if (cfg.get_int("runtime.threads") == 0) set_compute_threads(0);
    struct RestoreThreads {
      int n;
      ~RestoreThreads() { set_compute_threads(n); }
    } restore{trial_threads};
    log::info("base model: pretraining on {} documents from the tasks ({} steps of {} sequences)", documents.size(),
              p.steps, p.batch_size);
    nlohmann::json identity = {{"model", model::to_json(options)}, {"pretrain", cfg.at("base.pretrain")}, {"key", key}};
    record_pretraining_run(request.store, cfg, key, identity, [&](store::MetricsRecorder& rec) {
      train::ProgressLine progress("pretraining base", p.steps, p.log_every);
      train::pretrain(base.model, *base.tokenizer, documents, p, [&](std::int64_t step, double loss, double tps) {
        rec.log("pretrain/loss", step, loss);
        rec.log("pretrain/tokens_per_s", step, tps);
        progress.update(step, loss, tps);
      });
      // Sealed: a crash before the digest is written leaves an entry no later trial trusts.
      digest = model::save_checkpoint(file, *base.model, expected);
      return digest;
    }, file);
  }
  base.tags["base.file"] = file;
  base.tags["base.sha256"] = digest;
  base.tags["base.key"] = key;
  return base;
}

}  // namespace remix::trial
