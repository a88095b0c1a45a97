// Gradient clipping over parameter groups (see grad_clip.h). Both scopes use LibTorch's clip_grad_norm_, so the
// global scope is exactly the clip every earlier result was trained with (bit for bit).
#include "train/grad_clip.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "remix/errors.h"

namespace remix::train {

ClipScope parse_clip_scope(const std::string& name) {
  if (name == "global") return ClipScope::Global;
  if (name == "group") return ClipScope::Group;
  throw ConfigError(fmt::format("train.grad_clip_scope: expected global or group, got '{}'", name));
}

double clip_gradients(const std::vector<std::vector<torch::Tensor>>& groups, double max_norm, ClipScope scope) {
  double limit = max_norm > 0 ? max_norm : std::numeric_limits<double>::infinity();  // infinite: measure only
  if (scope == ClipScope::Global) {
    std::vector<torch::Tensor> all;
    for (const auto& g : groups) all.insert(all.end(), g.begin(), g.end());
    return torch::nn::utils::clip_grad_norm_(all, limit);
  }
  double total = 0;
  for (const auto& g : groups) {
    if (g.empty()) continue;
    double n = torch::nn::utils::clip_grad_norm_(g, limit);
    total += n * n;
  }
  return std::sqrt(total);
}

}  // namespace remix::train
