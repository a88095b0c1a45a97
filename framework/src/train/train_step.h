// One training forward/backward (docs/architecture.md §4) and the scalars it leaves behind. The step never reads a
// number back to the host: its losses, the advantages' variance and the gradient norm stay scalar tensors on the
// model's device (a GPU keeps computing while the host queues the next step), and `PendingSteps` copies all steps'
// scalars back in one transfer when the trainer needs them — at log steps, evaluations and checkpoints. That is also
// where a NaN or infinite loss is found: the trial stops naming the first such step, before anything trained after
// it is logged, evaluated or checkpointed (the few steps in between are lost work, not recorded results).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "adapter/routing_trace.h"
#include "train/adapted_model.h"
#include "train/data_parallel.h"
#include "train/policy_gradient.h"
#include "train/sequence_batch.h"

namespace remix::train {

// The losses of one training forward/backward: the batch replicated `samples` times when the routers are trained by
// policy gradient, LoRA loss = mean answer cross-entropy over all rows, plus the router loss and the routers' aux
// losses; gradients are left in the parameters. Scalars are detached 0-dim float64 tensors on the model's device.
struct StepLosses {
  torch::Tensor loss, router_loss, aux_loss, advantage_variance;
  std::int64_t tokens = 0;  // real tokens processed (replicas included)
};

// With `share`, the batch is this rank's share: the losses reported are the global batch's and the gradients
// left are the average over ranks.
struct RankShare {
  DataParallel& group;
  DataParallel::GradientAverager& averager;
};

StepLosses forward_backward(AdaptedModel& model, const SequenceBatch& batch, std::int64_t samples,
                            const PolicyGradientOptions& how, adapter::RoutingTrace& trace,
                            const RankShare* share = nullptr);

// The refusal of train.credit: to-go for a router without RouteOutput::token_log_prob; a trial says it before it obtains
// its base (trial/trial_model.h), a step if a router gives it in the probe but not in training.
std::string no_token_log_prob_message(const std::string& router_name);

// A loss that is NaN or infinite: the trial stops and is marked failed with the step.
struct NonFiniteLoss : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A finished step's scalars, on the host.
struct StepScalars {
  std::int64_t step = 0;  // 0-based
  double loss = 0, router_loss = 0, aux_loss = 0, advantage_variance = 0, grad_norm = 0;
};

// The scalars of the steps since the last `take`, still where they were computed.
class PendingSteps {
 public:
  void add(std::int64_t step, const StepLosses& losses, const torch::Tensor& grad_norm);
  // Every pending step's scalars, oldest first, in one device-to-host copy, and forgets them. NonFiniteLoss naming the
  // first step whose losses are NaN or infinite.
  std::vector<StepScalars> take();

 private:
  std::vector<std::int64_t> steps_;
  std::vector<torch::Tensor> rows_;  // [5] float64 per step
};

}  // namespace remix::train
