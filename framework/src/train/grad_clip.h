// Gradient-norm clipping over the trainer's parameter groups (LoRA factors; routers). `global` (the default,
// what every result so far was trained with) scales all gradients by one factor when their joint norm exceeds
// the limit; `group` clips each group by its own norm, so a noisy router gradient (ReMix's RLOO gradient is a
// median 4.4x the LoRA gradient) cannot throttle the experts' updates.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace remix::train {

enum class ClipScope { Global, Group };
// "global" or "group"; anything else is a ConfigError naming train.grad_clip_scope.
ClipScope parse_clip_scope(const std::string& name);

// Clips in place and returns the joint norm of every gradient before clipping, as a scalar tensor on the gradients'
// device (read it when logging: a GPU step never waits for it); max_norm <= 0 or infinite clips nothing.
torch::Tensor clip_gradients(const std::vector<std::vector<torch::Tensor>>& groups, double max_norm, ClipScope scope);

}  // namespace remix::train
