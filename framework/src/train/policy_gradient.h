// The policy-gradient router loss of docs/architecture.md §4. The trainer replicates a batch M times along the batch
// dimension (row m·B + b is sequence b under routing sample m), gets per-sequence losses L[m,b] and the log
// probability of each sampled routing log Q[m,b] (summed over valid tokens and sites), and backpropagates
// `lora_loss + router_loss`, where
//   rloo:      A[m,b] = L[m,b] − mean_m L[·,b]     router_loss = mean_b Σ_m A[m,b]·logQ[m,b] / (M−1)
//   reinforce: router_loss = mean_b Σ_m L[m,b]·logQ[m,b] / M
//   rloo-shuffled (a control, not an estimator): RLOO's advantages moved to other sequences of the batch,
//            A'[m,b] = A[m,(b+s) mod B] for a random shift s in 1..B−1 per step, so no sequence is credited with its
//            own outcome: the router gets gradients of RLOO's size and distribution whose expectation is zero. A router
//            that sharpens under it shows what optimiser noise alone does (train.batch_size >= 2).
// with L detached in the router loss, so the router learns only from log Q and the LoRAs only from L.
//
// Data parallel: each rank holds all M replicas of its share of the examples (rows m·B_r + b of its batch), but the
// advantages are computed from the whole global batch: the ranks' detached L are gathered (M·B numbers), every rank
// computes the same A as one process would (REINFORCE's batch mean and rloo-shuffled's shift need all B sequences),
// and each keeps its own columns; its router loss is the mean over its columns, which the gradient average over
// ranks turns into the global mean.
#pragma once

#include <torch/torch.h>

#include <string>

#include "train/data_parallel.h"

namespace remix::train {

enum class Estimator { Rloo, Reinforce, RlooShuffled };
Estimator parse_estimator(const std::string& name);  // "rloo" | "reinforce" | "rloo-shuffled"

struct PolicyGradientLoss {
  torch::Tensor router_loss;       // scalar; gradient flows only into log_q
  torch::Tensor advantages;        // [M,B], detached (for rloo; L itself for reinforce)
  torch::Tensor advantage_variance;  // scalar: variance of the advantages over all M·B entries (float64)
};

// `losses` and `log_q` are [M·B] in replicated-batch order (or already [M,B]); with `group`, this rank's share, and
// `advantages` / `advantage_variance` are the global batch's.
PolicyGradientLoss policy_gradient_loss(const torch::Tensor& losses, const torch::Tensor& log_q, std::int64_t samples,
                                        Estimator estimator, DataParallel* group = nullptr);

}  // namespace remix::train
