// One training forward/backward and its pending scalars (see train_step.h).
#include "train/train_step.h"

#include <cmath>

#include <fmt/format.h>

#include "remix/errors.h"

namespace remix::train {

namespace {

torch::Tensor scalar(const torch::Tensor& t) { return t.detach().to(torch::kDouble); }

}  // namespace

std::string no_token_log_prob_message(const std::string& router_name) {
  return "router plugin '" + router_name +
         "' gives no per-token log-probability (RouteOutput::token_log_prob), which train.credit: to-go needs; use "
         "train.credit: sequence";
}

StepLosses forward_backward(AdaptedModel& m, const SequenceBatch& base_batch, std::int64_t samples,
                            const PolicyGradientOptions& how, adapter::RoutingTrace& trace, const RankShare* share) {
  // One forward, one backward, never a loop; built on the CPU, then moved to the model's device.
  auto batch = (samples > 1 ? base_batch.repeat(samples) : base_batch).to(m.model->device());
  m.model->train();
  trace.clear();
  auto logits = m.model->forward(batch.inputs, batch.routing(/*training=*/true, &trace));

  // Credit by position needs each target's loss; the sequence losses are then their row sums (one log-softmax).
  const bool to_go = m.mixture.needs_policy_gradient && how.credit == Credit::ToGo;
  auto per_token = to_go ? token_losses(logits, batch) : torch::Tensor();
  auto losses = to_go ? per_token.sum(1) : sequence_losses(logits, batch);  // L[m·B + b]
  auto lora_loss = losses.mean();
  auto loss = lora_loss;
  StepLosses r;
  r.router_loss = r.advantage_variance = torch::zeros({}, lora_loss.options().dtype(torch::kDouble));
  if (m.mixture.needs_policy_gradient) {
    auto log_q = trace.log_prob();
    if (!log_q.defined())
      throw PluginError("router plugin '" + m.mixture.options.router_name() +
                        "' needs the policy-gradient path but returned no log_prob in training");
    auto* group = share ? &share->group : nullptr;
    PolicyGradientLoss pg;
    if (to_go) {
      auto log_q_per_token = trace.token_log_prob();
      if (!log_q_per_token)
        throw PluginError(no_token_log_prob_message(m.mixture.options.router_name()));
      pg = policy_gradient_loss_to_go(per_token, *log_q_per_token, samples, group);
    } else {
      pg = policy_gradient_loss(losses, log_q, samples, how.estimator, group);
    }
    loss = loss + pg.router_loss;
    r.router_loss = scalar(pg.router_loss);
    r.advantage_variance = pg.advantage_variance;
  }
  auto aux = trace.aux_loss();
  loss = loss + aux;
  r.loss = scalar(lora_loss);
  r.aux_loss = scalar(aux);
  r.tokens = batch.tokens;
  if (share) {  // the global batch's losses (Gloo ranks compute on the CPU, where reading them costs nothing)
    const double W = share->group.world_size();
    auto total = share->group.sum({r.loss.item<double>(), r.router_loss.item<double>(), r.aux_loss.item<double>(),
                                   static_cast<double>(r.tokens)});
    r.loss = torch::tensor(total[0] / W, torch::kDouble);
    r.router_loss = torch::tensor(total[1] / W, torch::kDouble);
    r.aux_loss = torch::tensor(total[2] / W, torch::kDouble);
    r.tokens = static_cast<std::int64_t>(total[3]);
    share->averager.arm();
  }
  loss.backward();  // even when not finite: every rank takes part in every all-reduce; PendingSteps stops the trial
  if (share) share->averager.finish();
  return r;
}

void PendingSteps::add(std::int64_t step, const StepLosses& losses, const torch::Tensor& grad_norm) {
  const auto device = losses.loss.device();
  auto on = [&](const torch::Tensor& t) { return t.to(device, torch::kDouble); };
  steps_.push_back(step);
  rows_.push_back(torch::stack({on(losses.loss), on(losses.router_loss), on(losses.aux_loss),
                                on(losses.advantage_variance), on(grad_norm)}));
}

std::vector<StepScalars> PendingSteps::take() {
  std::vector<StepScalars> out;
  if (rows_.empty()) return out;
  auto host = torch::stack(rows_).to(torch::kCPU).contiguous();  // the one transfer
  auto v = host.accessor<double, 2>();
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const auto row = static_cast<std::int64_t>(i);
    out.push_back({steps_[i], v[row][0], v[row][1], v[row][2], v[row][3], v[row][4]});
  }
  steps_.clear();
  rows_.clear();
  for (const auto& s : out)
    if (!std::isfinite(s.loss) || !std::isfinite(s.router_loss) || !std::isfinite(s.aux_loss))
      throw NonFiniteLoss(fmt::format("loss is not finite at step {} (train/loss {}, router loss {}, aux loss {}); the "
                                      "trial stops (try a lower train.lr)",
                                      s.step, s.loss, s.router_loss, s.aux_loss));
  return out;
}

}  // namespace remix::train
