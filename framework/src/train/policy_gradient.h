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
// train.credit: to-go (with rloo) credits each decision only with the losses it can change. With ℓ[m,b,t] the
// per-token losses (row sums = L) and each site's log q per token, a decision at position t that reaches later
// positions gets G[t] = Σ_{s≥t} ℓ[s] (causal attention: it cannot change an earlier target), one in the last
// block's FFN (or its q / o projections) gets ℓ[t] alone (it changes only position t's logits; at prompt positions
// that is nothing the loss counts), each with its leave-one-out baseline over the M samples at that position:
//   A[m,b,t] = G[m,b,t] − mean_m G[·,b,t]      router_loss = mean_b Σ_m Σ_t A[m,b,t]·log q[m,b,t] / (M−1)
// Unbiased for the same reason as the sequence form; less noisy where the dropped losses are noise to the decision
// (not guaranteed: their covariance with the kept terms goes too).
//
// Data parallel: each rank holds all M replicas of its share of the examples (rows m·B_r + b of its batch), but the
// advantages are computed from the whole global batch: the ranks' detached L are gathered (M·B numbers), every rank
// computes the same A as one process would (REINFORCE's batch mean and rloo-shuffled's shift need all B sequences),
// and each keeps its own columns; its router loss is the mean over its columns, which the gradient average over
// ranks turns into the global mean.
#pragma once

#include <torch/torch.h>

#include <string>

#include "adapter/routing_trace.h"
#include "train/data_parallel.h"

namespace remix::train {

enum class Estimator { Rloo, Reinforce, RlooShuffled };
Estimator parse_estimator(const std::string& name);  // "rloo" | "reinforce" | "rloo-shuffled"
enum class Credit { Sequence, ToGo };
Credit parse_credit(const std::string& name);  // "sequence" | "to-go"

// How a step trains a policy-gradient router (train.estimator, train.credit); an Estimator alone credits sequences.
struct PolicyGradientOptions {
  Estimator estimator = Estimator::Rloo;
  Credit credit = Credit::Sequence;
  PolicyGradientOptions(Estimator e, Credit c = Credit::Sequence) : estimator(e), credit(c) {}  // NOLINT: implicit
};

struct PolicyGradientLoss {
  torch::Tensor router_loss;       // scalar; gradient flows only into log_q
  torch::Tensor advantages;        // [M,B], detached (for rloo; L itself for reinforce)
  torch::Tensor advantage_variance;  // scalar: variance of the advantages over all M·B entries (float64)
};

// `losses` and `log_q` are [M·B] in replicated-batch order (or already [M,B]); with `group`, this rank's share, and
// `advantages` / `advantage_variance` are the global batch's.
PolicyGradientLoss policy_gradient_loss(const torch::Tensor& losses, const torch::Tensor& log_q, std::int64_t samples,
                                        Estimator estimator, DataParallel* group = nullptr);

// train.credit: to-go with rloo. `token_losses` [M·B, T] (row sums are the sequence losses), `log_q` per token in the
// same layout; `advantages` / `advantage_variance` are the sequence-level ones (as policy_gradient_loss reports them,
// so the recorded metric keeps its meaning). A rank holds all M replicas of its examples: no gather for the loss.
PolicyGradientLoss policy_gradient_loss_to_go(const torch::Tensor& token_losses, const adapter::TokenLogProbs& log_q,
                                              std::int64_t samples, DataParallel* group = nullptr);

}  // namespace remix::train
