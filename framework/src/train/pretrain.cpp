// The base model's pretraining loop (see pretrain.h).
#include "train/pretrain.h"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "remix/errors.h"
#include "train/data_stream.h"
#include "common/interrupt.h"
#include "train/lr_schedule.h"

namespace remix::train {

void pretrain(model::Transformer& model, const model::Tokenizer& tokenizer, const std::vector<std::string>& documents,
              const PretrainOptions& o, const PretrainLog& log) {
  std::vector<std::int64_t> stream;
  for (const auto& d : documents) {
    auto ids = tokenizer.encode(d, /*bos=*/true, /*eos=*/true);
    stream.insert(stream.end(), ids.begin(), ids.end());
  }
  const std::int64_t T = model->options().max_seq_len();
  auto n = static_cast<std::int64_t>(stream.size());
  if (n < T + 2)
    throw DataError(fmt::format("the tasks' pretraining text holds {} tokens, fewer than one window of "
                                "model.max_seq_len + 1 = {}; base.source: pretrain needs tasks with built-in data",
                                n, T + 1));
  auto corpus = torch::from_blob(stream.data(), {n}, torch::kLong).clone();

  torch::manual_seed(o.seed);
  model->train();
  // Weight decay on matrices only (as llama2.c does): not on norms.
  std::vector<torch::Tensor> params, matrices, vectors;
  for (auto& p : model->parameters()) {
    if (!p.requires_grad()) continue;
    params.push_back(p);
    (p.dim() >= 2 ? matrices : vectors).push_back(p);
  }
  auto options = torch::optim::AdamWOptions(o.lr).betas({0.9, 0.95});
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(matrices, std::make_unique<torch::optim::AdamWOptions>(options.weight_decay(o.weight_decay)));
  groups.emplace_back(vectors, std::make_unique<torch::optim::AdamWOptions>(options.weight_decay(0.0)));
  torch::optim::AdamW optimizer(groups, options);
  auto window = torch::arange(T + 1, torch::kLong);
  auto start = std::chrono::steady_clock::now();
  std::int64_t tokens = 0;
  for (std::int64_t step = 0; step < o.steps; ++step) {
    if (int sig = InterruptGuard::pending()) throw Interrupted{sig};
    // Window starts are a function of (seed, step): a deterministic, uniform draw over the stream.
    auto starts = torch::empty({o.batch_size}, torch::kLong);
    auto sa = starts.accessor<std::int64_t, 1>();
    for (std::int64_t b = 0; b < o.batch_size; ++b)
      sa[b] = static_cast<std::int64_t>(mix_seed(o.seed, static_cast<std::uint64_t>(step), static_cast<std::uint64_t>(b)) %
                                        static_cast<std::uint64_t>(n - T - 1));
    auto rows = corpus.index({starts.unsqueeze(1) + window.unsqueeze(0)});  // [B, T+1]
    auto inputs = rows.narrow(1, 0, T), targets = rows.narrow(1, 1, T);
    double lr = o.lr * lr_multiplier(step, o.steps, o.warmup_steps, Decay::Cosine);
    for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    auto logits = model->forward(inputs);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
    optimizer.zero_grad();
    loss.backward();
    if (o.grad_clip > 0) torch::nn::utils::clip_grad_norm_(params, o.grad_clip);
    optimizer.step();
    tokens += o.batch_size * T;
    if ((step + 1) % o.log_every == 0 || step + 1 == o.steps) {
      double value = loss.item<double>();
      if (!std::isfinite(value)) throw std::runtime_error(fmt::format("pretraining loss is {} at step {}", value, step));
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      log(step, value, static_cast<double>(tokens) / std::max(seconds, 1e-9));
    }
  }
  model->eval();
}

}  // namespace remix::train
