// The finetuning loop of one trial (docs/architecture.md §1, §4). Each step: take the step's batch, replicate it M
// times for a policy-gradient router, forward with training-mode routing while the trace records every decision,
// LoRA loss = mean answer cross-entropy, plus the RLOO (or REINFORCE) router loss and the routers' aux
// losses, backward, clip, AdamW with the adapter and router learning rates on the warmup + decay schedule.
// Metrics and routing diagnostics go to the recorder every log step, evaluation runs every eval step and at
// the end, checkpoints are written every checkpoint step and when a signal arrives. The optimizer is AdamW, or
// IVON (train/ivon.h: the parameters are sampled before each forward); at the end a run may record diagonal
// precisions of its trainable parameters (squared gradients, IVON's Hessian) for multitask previews.
//
// Data parallel (train/data_parallel.h): every rank draws the same global batch and trains on its contiguous share;
// routing noise is keyed by the example's place in the global batch, advantages come from the whole batch
// (policy_gradient.h), gradients are averaged across ranks during the backward, so every rank takes the same
// optimizer step and the trial trains as one process would. Rank 0 alone records metrics and writes
// checkpoints; evaluation is split across ranks and gathered.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/resolved_config.h"
#include "store/recorder.h"
#include "train/compute_account.h"
#include "train/data_parallel.h"
#include "train/data_stream.h"
#include "train/evaluator.h"
#include "train/grad_clip.h"
#include "train/ivon.h"
#include "train/policy_gradient.h"
#include "train/sequence_batch.h"
#include "train/task_set.h"
#include "train/train_step.h"
#include "train/trial_checkpoint.h"
#include "train/adapted_model.h"

namespace remix::train {

struct TrainerOptions {
  std::int64_t steps = 400, batch_size = 16, warmup_steps = 20, samples = 4, top_k = 2;
  std::int64_t log_every = 10, eval_every = 100, checkpoint_every = 50;
  double lr = 3e-3, router_lr = 3e-3, weight_decay = 0, grad_clip = 1, adam_eps = 1e-8;
  std::string grad_clip_scope = "group";  // or "global" (train/grad_clip.h)
  std::string schedule = "cosine", estimator = "rloo", credit = "sequence";
  std::uint64_t seed = 0;
  EvalOptions eval;
  std::string optimizer = "adamw";  // or "ivon" (ess 0: the training examples of the weighted tasks)
  IvonOptions ivon;
  bool precision_sg = false;  // record the squared-gradient precision after training
  std::int64_t precision_examples = 0;

  // From the `train.*`, `eval.*` and `seed` keys and the router plugin's traits; ConfigError naming
  // train.samples when a policy-gradient router gets too few samples for its estimator.
  static TrainerOptions from(const config::ResolvedConfig& cfg);
};

class Trainer {
 public:
  // `group`: the trial's data-parallel ranks (null: one process); only rank 0 uses the recorder and saves.
  Trainer(TrainerOptions options, AdaptedModel& model, const TaskSet& tasks, store::MetricsRecorder* recorder,
          TrialCheckpoints& checkpoints, DataParallel* group = nullptr);
  // Trains to the last step (resuming from the newest checkpoint), evaluates, records the precisions asked for,
  // and returns the final metrics.
  EvalMetrics run();
  // The precision files written at the end ("sg", "ivon"): sealed, beside the checkpoints.
  const std::vector<std::pair<std::string, SavedCheckpoint>>& precisions() const { return precisions_; }

 private:
  std::int64_t train_step(std::int64_t step, adapter::RoutingTrace& trace);  // the step's real tokens
  void set_learning_rates(std::int64_t step);
  int pending_signal();
  void log_step(std::int64_t completed, const StepScalars& r, const adapter::RoutingTrace& trace, double tokens_per_s);
  void log_eval(std::int64_t completed, bool final);
  void save_checkpoint(std::int64_t completed);
  void save_precisions();

  TrainerOptions o_;
  AdaptedModel& m_;
  const TaskSet& tasks_;
  store::MetricsRecorder* recorder_;  // null on ranks other than 0
  DataParallel* group_;
  std::unique_ptr<DataParallel::GradientAverager> averager_;
  TrialCheckpoints& checkpoints_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  Ivon* ivon_ = nullptr;  // optimizer_ when it is IVON
  std::vector<std::pair<std::string, SavedCheckpoint>> precisions_;
  std::vector<std::vector<torch::Tensor>> parameter_groups_;  // LoRA factors, routers: what the clip sees
  ClipScope clip_scope_ = ClipScope::Global;
  DataStream data_;
  PolicyGradientOptions policy_gradient_;
  EvalMetrics final_;
  PendingSteps pending_;  // scalars of the steps since the last log step, still on the device
  ComputeAccount compute_;  // since step 0 (train/compute_account.h)
  std::int64_t active_lora_ = 0;
};

}  // namespace remix::train
