// Batched KV-cache generation (see generation.h).
#include "model/generation.h"

namespace remix::model {

Generation generate(Transformer& model, const torch::Tensor& prompt, const torch::Tensor& prompt_valid,
                    const GenerationOptions& options, adapter::RoutingTrace* trace) {
  torch::NoGradGuard no_grad;
  const auto B = prompt.size(0), T = prompt.size(1);
  auto valid = prompt_valid.defined() ? prompt_valid.to(torch::kBool)
                                      : torch::ones({B, T}, prompt.options().dtype(torch::kBool));
  // The last new token is never fed back, so a full context still yields one more token.
  const auto max_steps =
      std::max<std::int64_t>(0, std::min(options.max_new_tokens(), model->options().max_seq_len() - T + 1));
  const auto capacity = T + std::max<std::int64_t>(max_steps - 1, 0);
  KVCache cache(model->options(), B, capacity, torch::TensorOptions().dtype(torch::kFloat).device(prompt.device()));

  RoutingContext ctx;
  ctx.training = false;
  ctx.trace = trace;
  ctx.router_state = &cache.router_state();
  ctx.valid_mask = valid;
  ctx.prompt_mask = valid;
  auto logits = model->forward(prompt, ctx, &cache);
  // The logits that predict each row's next token sit at its last real token (the last column for left
  // padding, earlier for right padding).
  auto last = (valid.to(torch::kLong) * torch::arange(T, prompt.options().dtype(torch::kLong))).argmax(1);
  auto next_logits = logits.index({torch::arange(B, last.options()), last});

  auto finished = torch::zeros({B}, valid.options());
  auto lengths = torch::zeros({B}, prompt.options().dtype(torch::kLong));
  std::vector<torch::Tensor> tokens, step_logits;
  ctx.decoding = true;
  ctx.prompt_mask = torch::zeros({B, 1}, valid.options());
  for (std::int64_t step = 0; step < max_steps; ++step) {
    auto next = options.temperature() > 0
                    ? torch::multinomial(torch::softmax(next_logits / options.temperature(), -1), 1).squeeze(1)
                    : next_logits.argmax(-1);
    next = torch::where(finished, torch::full_like(next, options.pad_id()), next);
    tokens.push_back(next);
    step_logits.push_back(next_logits);
    lengths += finished.logical_not().to(torch::kLong);
    if (options.eos_id() >= 0) finished = finished.logical_or(next.eq(options.eos_id()));
    if (step + 1 == max_steps || finished.all().item<bool>()) break;
    // A finished row feeds padding that nothing attends to.
    ctx.valid_mask = finished.logical_not().unsqueeze(1);
    next_logits = model->forward(next.unsqueeze(1), ctx, &cache).squeeze(1);
  }
  Generation g;
  g.tokens = tokens.empty() ? torch::zeros({B, 0}, prompt.options()) : torch::stack(tokens, 1);
  g.logits = step_logits.empty() ? torch::zeros({B, 0, logits.size(-1)}, logits.options())
                                 : torch::stack(step_logits, 1);
  g.lengths = lengths;
  return g;
}

}  // namespace remix::model
