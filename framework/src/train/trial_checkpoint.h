// A trial's training state on disk: the adapters' and routers' parameters, the optimizer state, the random
// generator state, the data position and the step, with the trial's identity config embedded. Written as a
// sealed file (common/sealed_file.h: atomic, then its sha256 beside it as the completion marker) every
// train.checkpoint_every steps and when a signal stops the trial. A re-run resumes from the newest checkpoint
// that is complete and intact: a corrupt or unsealed one is refused, named in the log and reported to the
// caller, and the previous one is tried (none left: training starts over). A checkpoint whose config differs
// from the trial's is refused with the file and the differing keys.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "train/compute_account.h"

namespace remix::train {

struct TrainingState {
  std::int64_t step = 0;                 // the next step to run
  std::vector<std::int64_t> data_cursors;
  ComputeAccount compute;                // cumulative (zero when resumed from a checkpoint written before it)
};

struct RejectedCheckpoint {
  std::string path, problem;
};

struct SavedCheckpoint {
  std::string path, sha256;
};

class TrialCheckpoints {
 public:
  // `dir` is the trial's folder (created when missing); `identity` the config the checkpoints must match;
  // `on_rejected` hears of every checkpoint refused as corrupt or incomplete (the trial records it in its tags).
  TrialCheckpoints(std::string dir, nlohmann::json identity, std::int64_t keep = 2,
                   std::function<void(const RejectedCheckpoint&)> on_rejected = {});

  // Writes checkpoint-<step>.pt sealed and removes older ones beyond `keep`.
  SavedCheckpoint save(const TrainingState& state, const std::vector<std::pair<std::string, torch::Tensor>>& parameters,
                       torch::optim::Optimizer& optimizer);
  // Loads the newest intact checkpoint into parameters / optimizer / the global generator; nullopt when there is
  // none (or none intact).
  std::optional<TrainingState> load_latest(const std::vector<std::pair<std::string, torch::Tensor>>& parameters,
                                           torch::optim::Optimizer& optimizer);
  // A diagonal precision of the trainable parameters ("sg", "ivon"; `count`: the examples or steps it sums),
  // sealed as precision-<kind>.pt beside the checkpoints.
  SavedCheckpoint save_precision(const std::string& kind, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                 std::int64_t count);
  // The checkpoint load_latest resumed from, and the last one save wrote.
  const std::optional<std::string>& resumed_from() const { return resumed_from_; }
  const std::optional<SavedCheckpoint>& last_saved() const { return last_saved_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  nlohmann::json identity_;
  std::int64_t keep_;
  std::function<void(const RejectedCheckpoint&)> on_rejected_;
  std::optional<std::string> resumed_from_;
  std::optional<SavedCheckpoint> last_saved_;
};

// What a sealed checkpoint or precision file holds, read back for merging: its meta JSON (the trial's identity
// config under "config", the step, the kind) and its tensors by parameter name. DataError naming the file when it
// is corrupt, incomplete or not one of these files.
struct StoredTensors {
  nlohmann::json meta;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
};
StoredTensors read_stored_tensors(const std::string& path);

}  // namespace remix::train
