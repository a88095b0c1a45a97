// Gradient clipping over parameter groups (see grad_clip.h). Both scopes compute as LibTorch's clip_grad_norm_ does, so
// the global scope is exactly the clip every earlier result was trained with (bit for bit).
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

namespace {

// LibTorch's clip_grad_norm_ (the same operations, so the same bits) without its final read of the norm.
torch::Tensor clip_by_norm(const std::vector<torch::Tensor>& params, double limit) {
  std::vector<torch::Tensor> grads, norms;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return torch::zeros({}, torch::kDouble);
  for (const auto& g : grads) norms.push_back(g.norm(2));
  auto total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  auto coef = torch::clamp(limit / (total + 1e-6), c10::nullopt, 1.0);
  for (auto& g : grads) g.mul_(coef);
  return total;
}

}  // namespace

torch::Tensor clip_gradients(const std::vector<std::vector<torch::Tensor>>& groups, double max_norm, ClipScope scope) {
  double limit = max_norm > 0 ? max_norm : std::numeric_limits<double>::infinity();  // infinite: measure only
  if (scope == ClipScope::Global) {
    std::vector<torch::Tensor> all;
    for (const auto& g : groups) all.insert(all.end(), g.begin(), g.end());
    return clip_by_norm(all, limit).to(torch::kDouble);
  }
  std::vector<torch::Tensor> squares;
  for (const auto& g : groups)
    if (!g.empty()) squares.push_back(clip_by_norm(g, limit).to(torch::kDouble).square());
  return squares.empty() ? torch::zeros({}, torch::kDouble) : torch::stack(squares).sum().sqrt();
}

}  // namespace remix::train
