// A trial's training state on disk: the adapters' and routers' parameters, the optimizer state, the random
// generator state, the data position and the step, with the trial's identity config embedded. Written to a
// temporary file and renamed into place (atomic), every train.checkpoint_every steps and when a signal stops
// the trial; a re-run resumes from the newest complete one. A checkpoint whose config differs from the
// trial's is refused with the file and the differing keys.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace remix::train {

struct TrainingState {
  std::int64_t step = 0;                 // the next step to run
  std::vector<std::int64_t> data_cursors;
};

class TrialCheckpoints {
 public:
  // `dir` is the trial's folder (created when missing); `identity` the config the checkpoints must match.
  TrialCheckpoints(std::string dir, nlohmann::json identity, std::int64_t keep = 2);

  // Writes checkpoint-<step>.pt and removes older ones beyond `keep`. Returns the file path.
  std::string save(const TrainingState& state, const std::vector<std::pair<std::string, torch::Tensor>>& parameters,
                   torch::optim::Optimizer& optimizer);
  // Loads the newest checkpoint into parameters / optimizer / the global generator; nullopt when there is none.
  std::optional<TrainingState> load_latest(const std::vector<std::pair<std::string, torch::Tensor>>& parameters,
                                           torch::optim::Optimizer& optimizer);
  std::optional<std::string> latest() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  nlohmann::json identity_;
  std::int64_t keep_;
};

}  // namespace remix::train
