// Evaluation with eval-mode routing (top-k, no sampling): generation with the KV cache for tasks that are scored on
// generated text, the log-likelihood of each choice for multiple-choice tasks, the task plugins' scorers for the
// metrics, plus each example's held-out answer loss and the routing diagnostics of a held-out batch routed in eval
// mode. On the eval split or on the validation split held out of training. Leaves the default random generator as it
// found it, so evaluating (how often, with what routing) never changes what training draws.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model/tokenizer.h"
#include "model/transformer.h"
#include "train/data_parallel.h"
#include "train/task_set.h"

namespace remix::train {

struct EvalOptions {
  std::int64_t batch_size = 32, max_new_tokens = 48, max_examples = 200;
};

// Metric names: "<task>/<metric name>", "<task>/loss", and the routing diagnostics ("routing/...").
using EvalMetrics = std::vector<std::pair<std::string, double>>;
// Per task metric ("<task>/<metric name>"), each eval example's score in the task's order: their mean is the metric.
using EvalOutcomes = std::vector<std::pair<std::string, std::vector<double>>>;

// The headline numbers a comparison shows under final/...: task metrics, their held-out answer losses and the
// routing ESS (mean, worst token).
bool is_headline_metric(const std::string& key);

// Which examples: each task's eval split (at most max_examples), or all of its validation split (no routing
// diagnostics then: they describe the eval split).
enum class EvalSplit { Eval, Validation };

// With `group`, each rank generates, scores and computes the losses of a contiguous share of every task's examples
// and they are gathered (every rank returns the same metrics). `outcomes`, when given, receives every task metric's
// and loss's per-example values (their mean is the metric).
EvalMetrics evaluate(model::Transformer& model, const model::Tokenizer& tokenizer, const TaskSet& tasks,
                     const EvalOptions& options, DataParallel* group = nullptr, EvalOutcomes* outcomes = nullptr,
                     EvalSplit split = EvalSplit::Eval);

}  // namespace remix::train
