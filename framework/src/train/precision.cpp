// Squared-gradient precision (see precision.h).
#include "train/precision.h"

#include "train/sequence_batch.h"

namespace remix::train {

std::pair<NamedTensors, std::int64_t> squared_gradient_precision(AdaptedModel& m, const TaskSet& tasks,
                                                                 std::int64_t max_examples) {
  auto trainable = m.trainable();
  NamedTensors sums;
  for (const auto& [name, t] : trainable) sums.emplace_back(name, torch::zeros_like(t));
  m.model->eval();  // no dropout: the model as it is evaluated
  std::int64_t examples = 0;
  for (const auto& task : tasks.tasks()) {
    if (task.weight <= 0) continue;
    for (const auto& e : task.train) {
      if (max_examples > 0 && examples >= max_examples) break;
      auto batch = make_batch(*m.tokenizer, {{e.prompt, e.answer}}, /*add_eos=*/true, m.model->options().max_seq_len())
                       .to(m.model->device());
      for (auto& [name, t] : trainable) t.mutable_grad() = torch::Tensor();
      auto logits = m.model->forward(batch.inputs, batch.routing(/*training=*/false));
      sequence_losses(logits, batch).sum().backward();
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < trainable.size(); ++i)
        if (trainable[i].second.grad().defined()) sums[i].second.add_(trainable[i].second.grad().square());
      ++examples;
    }
  }
  for (auto& [name, t] : trainable) t.mutable_grad() = torch::Tensor();
  return {sums, examples};
}

}  // namespace remix::train
