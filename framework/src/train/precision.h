// The diagonal precision of a trial's trainable parameters by squared gradients ("SG", the observed Fisher with
// true labels): Σ over the training examples of the tasks it trains on of (∂ℓᵢ/∂θ)², ℓᵢ the answer loss of
// example i alone. Computed after training, with eval-mode routing (what the model is evaluated and merged
// with); a router that learns only through the policy gradient (ReMix) gets no gradient here, so its precision
// is zero. Per-task runs record it so that multitask previews can merge them by precision.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "train/adapted_model.h"
#include "train/task_set.h"

namespace remix::train {

// By parameter name, as AdaptedModel::trainable() names them.
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// `max_examples` caps the examples (0 = every training example of the tasks with a positive weight).
// Returns the precision and the number of examples it sums.
std::pair<NamedTensors, std::int64_t> squared_gradient_precision(AdaptedModel& model, const TaskSet& tasks,
                                                                 std::int64_t max_examples);

}  // namespace remix::train
