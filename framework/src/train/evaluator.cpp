// Evaluation (see evaluator.h).
#include "train/evaluator.h"

#include <fmt/format.h>

#include <algorithm>

#include "adapter/diagnostics.h"
#include "adapter/routing_trace.h"
#include "common/text.h"
#include "model/generation.h"
#include "remix/errors.h"
#include "train/sequence_batch.h"

namespace remix::train {

namespace {

std::vector<Example> eval_examples(const TrialTask& t, const EvalOptions& o) {
  auto n = o.max_examples > 0 ? std::min<std::size_t>(t.eval.size(), static_cast<std::size_t>(o.max_examples)) : t.eval.size();
  return {t.eval.begin(), t.eval.begin() + static_cast<std::ptrdiff_t>(n)};
}

// Teacher-forced, eval-mode forward over `pairs`; fills `trace` when given.
torch::Tensor forward_eval(model::Transformer& model, const SequenceBatch& batch, adapter::RoutingTrace* trace) {
  return model->forward(batch.inputs, batch.routing(/*training=*/false, trace));
}

std::vector<Prediction> generate_answers(model::Transformer& model, const model::Tokenizer& tokenizer,
                                         const Task& task, const std::vector<Example>& examples, const EvalOptions& o) {
  auto spec = task.generation();
  std::vector<Prediction> out;
  for (std::size_t start = 0; start < examples.size(); start += static_cast<std::size_t>(o.batch_size)) {
    std::vector<std::string> prompts;
    for (std::size_t i = start; i < std::min(examples.size(), start + static_cast<std::size_t>(o.batch_size)); ++i)
      prompts.push_back(examples[i].prompt);
    auto batch = make_prompts(tokenizer, prompts).to(model->device());
    // Byte budgets are token budgets for the byte tokenizer and an upper bound for BPE.
    auto budget = std::min<std::int64_t>(o.max_new_tokens, spec.max_answer_bytes);
    auto gen = model::generate(model, batch.tokens, batch.valid,
                               model::GenerationOptions().max_new_tokens(std::max<std::int64_t>(1, budget))
                                   .eos_id(tokenizer.eos_id())
                                   .pad_id(tokenizer.pad_id()));
    auto tokens = gen.tokens.cpu(), lengths = gen.lengths.cpu();
    for (std::int64_t b = 0; b < tokens.size(0); ++b) {
      auto row = tokens[b].narrow(0, 0, lengths[b].item<std::int64_t>()).contiguous();
      std::vector<std::int64_t> ids(row.data_ptr<std::int64_t>(), row.data_ptr<std::int64_t>() + row.numel());
      Prediction p;
      p.text = tokenizer.decode(ids);
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::vector<Prediction> choice_likelihoods(model::Transformer& model, const model::Tokenizer& tokenizer,
                                           const std::vector<Example>& examples, const EvalOptions& o) {
  std::vector<TextPair> pairs;
  for (const auto& e : examples)
    for (const auto& c : e.choices) pairs.push_back({e.prompt, c});
  std::vector<double> ll;
  for (std::size_t start = 0; start < pairs.size(); start += static_cast<std::size_t>(o.batch_size)) {
    std::vector<TextPair> chunk(pairs.begin() + static_cast<std::ptrdiff_t>(start),
                                pairs.begin() + static_cast<std::ptrdiff_t>(std::min(pairs.size(), start + static_cast<std::size_t>(o.batch_size))));
    auto batch = make_batch(tokenizer, chunk, /*add_eos=*/false, model->options().max_seq_len()).to(model->device());
    auto values = sequence_log_likelihoods(forward_eval(model, batch, nullptr), batch).to(torch::kCPU, torch::kFloat)
                      .contiguous();
    ll.insert(ll.end(), values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  }
  std::vector<Prediction> out;
  std::size_t k = 0;
  for (const auto& e : examples) {
    Prediction p;
    p.choice_logprobs.assign(ll.begin() + static_cast<std::ptrdiff_t>(k), ll.begin() + static_cast<std::ptrdiff_t>(k + e.choices.size()));
    k += e.choices.size();
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<Example> first_batch(const std::vector<Example>& examples, const EvalOptions& o) {
  return {examples.begin(), examples.begin() + std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(examples.size()),
                                                                        static_cast<std::ptrdiff_t>(o.batch_size))};
}

// Each example's mean answer-token loss, teacher-forced in eval mode; `trace` receives the first batch's routing.
std::vector<double> answer_losses(model::Transformer& model, const model::Tokenizer& tokenizer,
                                  const std::vector<Example>& examples, const EvalOptions& o,
                                  adapter::RoutingTrace* trace) {
  std::vector<double> out;
  for (std::size_t start = 0; start < examples.size(); start += static_cast<std::size_t>(o.batch_size)) {
    std::vector<TextPair> pairs;
    for (std::size_t i = start; i < std::min(examples.size(), start + static_cast<std::size_t>(o.batch_size)); ++i)
      pairs.push_back({examples[i].prompt, examples[i].answer});
    auto batch = make_batch(tokenizer, pairs, /*add_eos=*/true, model->options().max_seq_len()).to(model->device());
    auto losses = sequence_losses(forward_eval(model, batch, start == 0 ? trace : nullptr), batch)
                      .to(torch::kCPU, torch::kDouble)
                      .contiguous();
    out.insert(out.end(), losses.data_ptr<double>(), losses.data_ptr<double>() + losses.numel());
  }
  return out;
}

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

}  // namespace

EvalMetrics evaluate(model::Transformer& model, const model::Tokenizer& tokenizer, const TaskSet& tasks,
                     const EvalOptions& o, DataParallel* group, EvalOutcomes* outcomes, EvalSplit split) {
  // Evaluating must not change training: a router that samples at evaluation (ReMix `inference: sample`) draws
  // from the default generator that training draws its routing samples from, so its state is put back after.
  struct GeneratorStateGuard {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    torch::Tensor state = generator.get_state();
    ~GeneratorStateGuard() { generator.set_state(state); }
  } keep_training_randomness;
  torch::NoGradGuard no_grad;
  model->eval();
  EvalMetrics metrics;
  adapter::RoutingTrace trace;
  const bool sharded = group && group->world_size() > 1;
  for (const auto& t : tasks.tasks()) {
    auto examples = split == EvalSplit::Eval ? eval_examples(t, o) : t.validation;
    if (examples.empty()) continue;
    auto mine = examples;
    if (sharded) {  // rank r scores examples [r·n/W, (r+1)·n/W)
      const auto n = examples.size(), W = static_cast<std::size_t>(group->world_size());
      const auto r = static_cast<std::size_t>(group->rank());
      mine.assign(examples.begin() + static_cast<std::ptrdiff_t>(r * n / W),
                  examples.begin() + static_cast<std::ptrdiff_t>((r + 1) * n / W));
    }
    std::vector<Prediction> predictions;
    if (!mine.empty())
      predictions = t.task->eval_style() == EvalStyle::Generate ? generate_answers(model, tokenizer, *t.task, mine, o)
                                                                : choice_likelihoods(model, tokenizer, mine, o);
    std::vector<double> scores;
    try {
      if (!mine.empty()) scores = t.task->score(mine, predictions);
    } catch (const UserError&) {
      throw;
    } catch (const std::exception& e) {
      throw PluginError(fmt::format("task '{}' failed to score its predictions: {}", t.name, e.what()));
    }
    // The held-out answer loss of every example (far less noisy than a pass/fail score); the eval split's routing
    // diagnostics come from the batch of its first examples, routed in eval mode, the same batch on every rank.
    auto* routing = split == EvalSplit::Eval ? &trace : nullptr;
    auto losses = answer_losses(model, tokenizer, mine, o, sharded ? nullptr : routing);
    if (sharded) {
      if (routing) answer_losses(model, tokenizer, first_batch(examples, o), o, routing);
      scores = group->gather_values(scores);
      losses = group->gather_values(losses);
    }
    metrics.emplace_back(t.name + "/" + t.task->metric_name(), mean_of(scores));
    if (outcomes) outcomes->emplace_back(metrics.back().first, scores);
    metrics.emplace_back(t.name + "/loss", mean_of(losses));
    if (outcomes) outcomes->emplace_back(metrics.back().first, losses);
  }
  auto routing = adapter::routing_diagnostics(trace);
  metrics.insert(metrics.end(), routing.begin(), routing.end());
  return metrics;
}

bool is_headline_metric(const std::string& key) {
  // Task metrics and their held-out answer losses, and the routing ESS.
  return !text::starts_with(key, "routing/") || key == "routing/ess_mean" || key == "routing/ess_worst";
}

}  // namespace remix::train
