// What the training-step benchmarks share: the quickstart's config with a router and adapter settings, the same 16
// training examples of the built-in tasks, and a step variant — an adapted copy of one set of base weights with its
// own AdamW — whose `run` is one whole step through the trainer's own forward_backward.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "adapter/routing_trace.h"
#include "model/transformer_options.h"
#include "plugin/registry.h"
#include "train/sequence_batch.h"
#include "train/task_set.h"
#include "train/train_step.h"
#include "trial/trial_model.h"

namespace remix::bench {

// The quickstart's shape and tasks with `router` and its adapter settings.
inline config::ResolvedConfig step_config(const std::string& router, const nlohmann::json& adapter) {
  nlohmann::json tree = {{"experiment", {{"name", "bench"}}},
                         {"router", {{"plugin", router}}},
                         {"tasks", {{"math", nlohmann::json::object()},
                                    {"code", nlohmann::json::object()},
                                    {"knowledge", nlohmann::json::object()}}},
                         {"adapter", adapter}};
  return config::resolve_json(tree, "bench " + router, plugin::schema_lookup({REMIX_PLUGIN_DIR}));
}

// 16 training examples taken from the tasks in turn.
inline std::vector<train::TextPair> step_examples(const train::TaskSet& tasks) {
  std::vector<train::TextPair> pairs;
  for (std::size_t i = 0; pairs.size() < 16; ++i) {
    const auto& t = tasks.tasks()[i % tasks.tasks().size()];
    const auto& e = t.train[i / tasks.tasks().size()];
    pairs.push_back({e.prompt, e.answer});
  }
  return pairs;
}

// What every step benchmark starts from: the quickstart's shape and tasks (seed 0), one set of base weights, and
// the batch of step_examples.
struct StepSetup {
  config::ResolvedConfig probe = step_config("softmax", nlohmann::json::object());
  std::shared_ptr<model::Tokenizer> tokenizer = model::make_tokenizer(probe);
  model::TransformerOptions shape = model::transformer_options_from(probe, tokenizer->vocab_size());
  model::Transformer base_weights = (torch::manual_seed(0), model::Transformer(shape));
  train::TaskSet tasks{probe};
  train::SequenceBatch batch = train::make_batch(*tokenizer, step_examples(tasks), true, shape.max_seq_len());
};

struct StepVariant {
  std::string name;
  train::AdaptedModel model;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::int64_t samples = 1;
  std::vector<double> seconds;

  void run(const train::SequenceBatch& batch) {
    adapter::RoutingTrace trace;
    optimizer->zero_grad();
    train::forward_backward(model, batch, samples, train::Estimator::Rloo, trace);
    optimizer->step();
  }
  double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
};

// `router` with `adapter` settings on a copy of `base_weights` (shape `shape`), stored as `dtype`, on `device`.
inline StepVariant make_step_variant(const std::string& name, const std::string& router, const nlohmann::json& adapter,
                                     std::int64_t samples, const model::Transformer& base_weights,
                                     const model::TransformerOptions& shape, torch::Device device = torch::kCPU,
                                     torch::Dtype dtype = torch::kFloat32) {
  auto cfg = step_config(router, adapter);
  trial::BaseModel base;
  base.tokenizer = model::make_tokenizer(cfg);
  base.model = model::Transformer(shape);
  {
    torch::NoGradGuard no_grad;  // every variant adapts the same base weights
    auto src = base_weights->named_parameters();
    for (auto& p : base.model->named_parameters()) p.value().copy_(src[p.key()]);
  }
  StepVariant v{name, trial::build_trial_model(base, cfg), nullptr, samples, {}};
  if (dtype != torch::kFloat32) v.model.model->store_frozen_matrices_as(dtype);
  v.model.model->to(device);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(v.model.mixture.adapter_parameters());
  if (!v.model.mixture.router_parameters().empty()) groups.emplace_back(v.model.mixture.router_parameters());
  v.optimizer = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(3e-3));
  return v;
}

}  // namespace remix::bench
