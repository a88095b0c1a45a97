// The finetuning loop (see trainer.h). `run` is the story of a trial's training; each helper below is one
// line of it.
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <optional>

#include <fmt/format.h>

#include "adapter/diagnostics.h"
#include "common/log.h"
#include "common/text.h"
#include "remix/errors.h"
#include "common/interrupt.h"
#include "train/lr_schedule.h"
#include "train/precision.h"
#include "train/progress.h"
#include "train/sequence_batch.h"

namespace remix::train {

namespace {

// A key set away from its default that the chosen path never reads would be recorded in the trial key and do
// nothing: refused, naming it and what would read it.
void refuse_settings_without_effect(const config::ResolvedConfig& cfg, const TrainerOptions& o) {
  auto identity = cfg.identity();  // holds the keys added later only where they are set otherwise
  auto set = [&](const std::string& key) {
    std::string pointer = "/" + key;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    return identity.contains(nlohmann::json::json_pointer(pointer));
  };
  if (o.optimizer != "ivon")
    for (const char* key : {"train.ivon.ess", "train.ivon.hess_init", "train.ivon.beta1", "train.ivon.beta2",
                            "train.ivon.weight_decay"})
      if (set(key))
        throw ConfigError(fmt::format("{}: set, but train.optimizer is {}; IVON's settings act only with "
                                      "train.optimizer: ivon",
                                      key, o.optimizer));
  if (o.optimizer == "ivon" && set("train.adam_eps"))
    throw ConfigError("train.adam_eps: set, but train.optimizer is ivon; it acts only with train.optimizer: adamw");
  if (!o.precision_sg && set("train.precision_examples"))
    throw ConfigError("train.precision_examples: set, but train.precision is none; it caps the examples of the "
                      "squared-gradient precision (train.precision: sg)");
}

}  // namespace

TrainerOptions TrainerOptions::from(const config::ResolvedConfig& cfg) {
  const bool policy_gradient = cfg.plugin("router").router_traits.policy_gradient;
  TrainerOptions o;
  o.steps = cfg.get_int("train.steps");
  o.batch_size = cfg.get_int("train.batch_size");
  o.warmup_steps = cfg.get_int("train.warmup_steps");
  o.samples = policy_gradient ? cfg.get_int("train.samples") : 1;
  o.top_k = cfg.get_int("adapter.top_k");
  o.log_every = cfg.get_int("train.log_every");
  o.eval_every = cfg.get_int("train.eval_every");
  o.checkpoint_every = cfg.get_int("train.checkpoint_every");
  o.lr = cfg.get_float("train.lr");
  o.router_lr = cfg.at("train.router_lr").is_null() ? o.lr : cfg.get_float("train.router_lr");
  o.weight_decay = cfg.get_float("train.weight_decay");
  o.adam_eps = cfg.get_float("train.adam_eps");
  o.grad_clip = cfg.get_float("train.grad_clip");
  o.grad_clip_scope = cfg.get_string("train.grad_clip_scope");
  o.schedule = cfg.get_string("train.schedule");
  o.estimator = cfg.get_string("train.estimator");
  o.credit = cfg.get_string("train.credit");
  o.seed = static_cast<std::uint64_t>(cfg.get_int("seed"));
  o.eval.batch_size = cfg.get_int("eval.batch_size");
  o.eval.max_new_tokens = cfg.get_int("eval.max_new_tokens");
  o.eval.max_examples = cfg.get_int("eval.max_examples");
  o.optimizer = cfg.get_string("train.optimizer");
  o.precision_sg = cfg.get_string("train.precision") == "sg";
  o.precision_examples = cfg.get_int("train.precision_examples");
  o.ivon.ess(cfg.get_float("train.ivon.ess"))
      .hess_init(cfg.get_float("train.ivon.hess_init"))
      .beta1(cfg.get_float("train.ivon.beta1"))
      .beta2(cfg.get_float("train.ivon.beta2"))
      .weight_decay(cfg.get_float("train.ivon.weight_decay"));
  if (policy_gradient && o.estimator == "rloo-shuffled" && o.batch_size < 2)
    throw ConfigError(fmt::format("train.batch_size: the rloo-shuffled control moves advantages between the batch's "
                                  "sequences and needs at least 2, got {}",
                                  o.batch_size));
  if (policy_gradient && o.estimator != "reinforce" && o.samples < 2)
    throw ConfigError(fmt::format("train.samples: the RLOO estimator needs at least 2 routing samples per sequence "
                                  "(M), got {}; router plugin '{}' is trained by policy gradient (train.estimator: "
                                  "reinforce works with 1)",
                                  o.samples, cfg.get_string("router.plugin")));
  if (o.credit != "sequence" && !policy_gradient)
    throw ConfigError(fmt::format("train.credit: {} is how a policy-gradient router's decisions are credited; router "
                                  "plugin '{}' learns through its weights",
                                  o.credit, cfg.get_string("router.plugin")));
  if (o.credit != "sequence" && o.estimator != "rloo")
    throw ConfigError(fmt::format("train.credit: {} works with train.estimator: rloo, got {}", o.credit, o.estimator));
  refuse_settings_without_effect(cfg, o);
  return o;
}

Trainer::Trainer(TrainerOptions options, AdaptedModel& model, const TaskSet& tasks, store::MetricsRecorder* recorder,
                 TrialCheckpoints& checkpoints, DataParallel* group)
    : o_(std::move(options)),
      m_(model),
      tasks_(tasks),
      recorder_(group && group->rank() != 0 ? nullptr : recorder),
      group_(group && group->world_size() > 1 ? group : nullptr),
      checkpoints_(checkpoints),
      data_(tasks, mix_seed(o_.seed, 0xda7a)),
      policy_gradient_(parse_estimator(o_.estimator), parse_credit(o_.credit)) {
  // Two parameter groups: the LoRA factors at train.lr, the routers at train.router_lr.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto adapters = m_.mixture.adapter_parameters(), routers = m_.mixture.router_parameters();
  if (o_.optimizer == "ivon") {
    auto opts = IvonOptions(o_.ivon).lr(o_.lr);
    if (opts.ess() <= 0) {  // λ: the examples the run trains on
      double n = 0;
      for (const auto& t : tasks_.tasks()) n += t.weight > 0 ? static_cast<double>(t.train.size()) : 0;
      opts.ess(std::max(n, 1.0));
    }
    groups.emplace_back(adapters, std::make_unique<IvonOptions>(opts));
    if (!routers.empty()) groups.emplace_back(routers, std::make_unique<IvonOptions>(IvonOptions(opts).lr(o_.router_lr)));
    auto ivon = std::make_unique<Ivon>(groups, opts);
    ivon_ = ivon.get();
    optimizer_ = std::move(ivon);
  } else {
    auto opts = torch::optim::AdamWOptions(o_.lr).weight_decay(o_.weight_decay).eps(o_.adam_eps);
    groups.emplace_back(adapters, std::make_unique<torch::optim::AdamWOptions>(opts));
    if (!routers.empty())
      groups.emplace_back(routers, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(opts).lr(o_.router_lr)));
    optimizer_ = std::make_unique<torch::optim::AdamW>(groups, opts);
  }
  parameter_groups_ = {adapters, routers};
  active_lora_ = m_.active_lora_parameters(o_.top_k);
  clip_scope_ = parse_clip_scope(o_.grad_clip_scope);
  if (group_) {
    if (o_.batch_size % group_->world_size() != 0)
      throw ConfigError(fmt::format("train.batch_size: {} examples cannot be shared evenly by {} data-parallel ranks "
                                    "(WORLD_SIZE); use a multiple of {}",
                                    o_.batch_size, group_->world_size(), group_->world_size()));
    std::vector<torch::Tensor> all(adapters.begin(), adapters.end());
    all.insert(all.end(), routers.begin(), routers.end());
    averager_ = std::make_unique<DataParallel::GradientAverager>(*group_, all);
  }
}

EvalMetrics Trainer::run() {
  torch::manual_seed(o_.seed);
  std::int64_t start = 0;
  if (auto resumed = checkpoints_.load_latest(m_.trainable(), *optimizer_)) {
    start = resumed->step;
    data_.restore(resumed->data_cursors);
    compute_ = resumed->compute;
    if (recorder_) log::info("resuming from {} at step {}", *checkpoints_.resumed_from(), start);
  }
  if (group_) {  // every rank resumed from the same checkpoint and starts from rank 0's adapters and routers
    auto steps = group_->sum({static_cast<double>(start), static_cast<double>(start) * start});
    if (steps[0] * steps[0] != steps[1] * group_->world_size())
      throw UserError(fmt::format("the data-parallel ranks resumed from different steps (rank {} from {}): every rank "
                                  "needs the same checkpoint folder (experiment.output_dir on a shared filesystem)",
                                  group_->rank(), start));
    std::vector<torch::Tensor> tensors;
    for (const auto& [name, t] : m_.trainable()) tensors.push_back(t);
    group_->broadcast(tensors);
  }
  if (start == 0 && o_.eval_every > 0) log_eval(0, false);

  std::optional<ProgressLine> progress;
  if (recorder_) progress.emplace("train", o_.steps, o_.log_every, start);
  adapter::RoutingTrace trace;
  auto interval_start = std::chrono::steady_clock::now();
  std::int64_t interval_tokens = 0;
  double last_loss = std::nan("");  // as of the last log step: the progress line never waits for the device
  for (std::int64_t step = start; step < o_.steps; ++step) {
    if (int sig = pending_signal()) {
      save_checkpoint(step);
      throw Interrupted{sig};
    }
    set_learning_rates(step);
    const auto step_start = std::chrono::steady_clock::now();
    const auto tokens = train_step(step, trace);
    interval_tokens += tokens;
    compute_.add_step(m_.model->options(), tokens, o_.batch_size * o_.samples, active_lora_,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count());
    std::int64_t completed = step + 1;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - interval_start).count();
    double tokens_per_s = interval_tokens / std::max(seconds, 1e-9);
    if (completed % o_.log_every == 0 || completed == o_.steps) {
      auto scalars = pending_.take();  // waits for the device: tokens/s is exact at log steps
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - interval_start).count();
      tokens_per_s = interval_tokens / std::max(seconds, 1e-9);
      last_loss = scalars.back().loss;
      log_step(completed, scalars.back(), trace, tokens_per_s);
      interval_start = std::chrono::steady_clock::now();
      interval_tokens = 0;
    }
    if (progress) progress->update(step, last_loss, tokens_per_s);
    bool eval = o_.eval_every > 0 && completed % o_.eval_every == 0 && completed != o_.steps;
    bool checkpoint = o_.checkpoint_every > 0 && completed % o_.checkpoint_every == 0 && completed != o_.steps;
    if (eval) log_eval(completed, false);
    if (checkpoint) save_checkpoint(completed);
    if (eval || checkpoint) {  // tokens/s measures training only
      interval_start = std::chrono::steady_clock::now();
      interval_tokens = 0;
    }
  }
  log_eval(o_.steps, true);
  save_checkpoint(o_.steps);
  save_precisions();
  return final_;
}

std::int64_t Trainer::train_step(std::int64_t step, adapter::RoutingTrace& trace) {
  // Every rank draws the whole global batch (the data cursors stay equal) and trains on its contiguous share.
  auto refs = data_.next_batch(step, o_.batch_size);
  const std::int64_t share = group_ ? o_.batch_size / group_->world_size() : o_.batch_size;
  const std::int64_t first = group_ ? group_->rank() * share : 0;
  std::vector<TextPair> pairs;
  std::vector<std::int64_t> keys;
  for (std::int64_t i = first; i < first + share; ++i) {
    const auto& e = tasks_.tasks()[refs[i].task].train[refs[i].index];
    pairs.push_back({e.prompt, e.answer});
    keys.push_back(static_cast<std::int64_t>(mix_seed(o_.seed ^ 0x0153ULL, static_cast<std::uint64_t>(step),
                                                      static_cast<std::uint64_t>(i))));
  }
  auto batch = make_batch(*m_.tokenizer, pairs, /*add_eos=*/true, m_.model->options().max_seq_len());
  batch.noise_keys = torch::tensor(keys, torch::kLong);  // routing noise keyed by the example's place in the step
  optimizer_->zero_grad();
  if (ivon_) ivon_->sample();  // θ = m + σε for this step's forward and backward
  std::optional<RankShare> rank_share;
  if (group_) rank_share.emplace(RankShare{*group_, *averager_});
  auto r = forward_backward(m_, batch, o_.samples, policy_gradient_, trace, rank_share ? &*rank_share : nullptr);
  // IVON's Hessian estimate needs the gradient as it is: its steps are not clipped (the norm is still logged).
  double max_norm = o_.grad_clip > 0 && !ivon_ ? o_.grad_clip : std::numeric_limits<double>::infinity();
  pending_.add(step, r, clip_gradients(parameter_groups_, max_norm, clip_scope_));
  optimizer_->step();
  return r.tokens;
}

// A signal on any rank stops every rank at the same step (rank 0 writes the checkpoint).
int Trainer::pending_signal() {
  int sig = InterruptGuard::pending();
  if (!group_) return sig;
  auto any = group_->sum({static_cast<double>(sig)});
  return any[0] > 0 ? (sig ? sig : SIGTERM) : 0;
}

void Trainer::set_learning_rates(std::int64_t step) {
  double mult = lr_multiplier(step, o_.steps, o_.warmup_steps, parse_decay(o_.schedule));
  auto& groups = optimizer_->param_groups();
  groups[0].options().set_lr(o_.lr * mult);
  if (groups.size() > 1) groups[1].options().set_lr(o_.router_lr * mult);
}

void Trainer::log_step(std::int64_t completed, const StepScalars& r, const adapter::RoutingTrace& trace,
                       double tokens_per_s) {
  if (!recorder_) return;
  auto& recorder = *recorder_;
  auto& groups = optimizer_->param_groups();
  recorder.log("train/loss", completed, r.loss);
  recorder.log("train/router_loss", completed, r.router_loss);
  recorder.log("train/aux_loss", completed, r.aux_loss);
  recorder.log("train/lr", completed, groups[0].options().get_lr());
  if (groups.size() > 1) recorder.log("train/router_lr", completed, groups[1].options().get_lr());
  recorder.log("train/grad_norm", completed, r.grad_norm);
  recorder.log("train/tokens_per_s", completed, tokens_per_s);
  if (m_.mixture.needs_policy_gradient) recorder.log("train/advantage_var", completed, r.advantage_variance);
  recorder.log("compute/tokens", completed, compute_.tokens);
  recorder.log("compute/flops", completed, compute_.flops);
  recorder.log("compute/seconds", completed, compute_.seconds);
  for (const auto& [key, value] : adapter::routing_diagnostics(trace)) recorder.log(key, completed, value);
}

void Trainer::log_eval(std::int64_t completed, bool final) {
  pending_.take();  // nothing trained after a non-finite loss is evaluated
  EvalOutcomes outcomes;
  auto metrics = evaluate(m_.model, *m_.tokenizer, tasks_, o_.eval, group_, &outcomes);
  auto validation = evaluate(m_.model, *m_.tokenizer, tasks_, o_.eval, group_, nullptr, EvalSplit::Validation);
  if (!recorder_) return;
  auto& recorder = *recorder_;
  for (const auto& [metric, scores] : outcomes) recorder.outcomes("eval/" + metric, completed, scores);
  std::vector<std::string> shown;
  for (const auto& [key, value] : metrics) {
    recorder.log("eval/" + key, completed, value);
    bool task_metric = !text::starts_with(key, "routing/") && !text::ends_with(key, "/loss");
    if (task_metric) shown.push_back(fmt::format("{} {:.3f}", key, value));
    if (final && is_headline_metric(key)) {
      recorder.log("final/" + key, completed, value);
      final_.emplace_back(key, value);
    }
  }
  // The validation split (held out of training) is what a learning-rate search selects on: `results --select-by`.
  for (const auto& [key, value] : validation) {
    recorder.log("val/" + key, completed, value);
    if (!text::ends_with(key, "/loss")) shown.push_back(fmt::format("val/{} {:.3f}", key, value));
  }
  recorder.flush();
  log::info("eval at step {}: {}", completed, text::join(shown, ", "));
}

void Trainer::save_checkpoint(std::int64_t completed) {
  pending_.take();  // nor checkpointed
  if (!recorder_) return;  // rank 0 writes the checkpoints every rank resumes from
  TrainingState state{completed, data_.cursors(), compute_};
  recorder_->flush();  // metrics up to the checkpoint are durable before it is
  checkpoints_.save(state, m_.trainable(), *optimizer_);
}

void Trainer::save_precisions() {
  if (!recorder_) return;
  if (o_.precision_sg) {
    log::info("precision: squared gradients over the training examples");
    auto [precision, examples] = squared_gradient_precision(m_, tasks_, o_.precision_examples);
    precisions_.emplace_back("sg", checkpoints_.save_precision("sg", precision, examples));
  }
  if (ivon_) {
    NamedTensors precision;
    for (const auto& [name, p] : m_.trainable()) precision.emplace_back(name, ivon_->precision(p));
    precisions_.emplace_back("ivon", checkpoints_.save_precision("ivon", precision, o_.steps));
  }
}

}  // namespace remix::train
