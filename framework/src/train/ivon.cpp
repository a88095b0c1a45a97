// The IVON optimizer (see ivon.h).
#include "train/ivon.h"

#include <torch/optim/serialize.h>
#include <torch/version.h>

#include <cmath>

namespace remix::train {

void IvonOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(ess);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(hess_init);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta1);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta2);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
}

void IvonOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, ess);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, hess_init);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta1);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta2);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
}

void IvonParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(mean);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(momentum);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(hessian);
}

void IvonParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(std::int64_t, step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, mean);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, momentum);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, hessian);
}

Ivon::Ivon(std::vector<torch::optim::OptimizerParamGroup> groups, IvonOptions defaults)
    : Optimizer(std::move(groups), std::make_unique<IvonOptions>(defaults)) {}

namespace {

// The optimizer's state is keyed by the parameter's TensorImpl: its address as a string in LibTorch 1.x, the address
// itself in 2.x (the one Optimizer API difference remix meets).
#if TORCH_VERSION_MAJOR >= 2
void* state_key(const torch::Tensor& p) { return p.unsafeGetTensorImpl(); }
#else
std::string state_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }
#endif

}  // namespace

IvonParamState& Ivon::state_of(const torch::Tensor& p, const IvonOptions& o) {
  auto key = state_key(p);
  auto it = state_.find(key);
  if (it == state_.end()) {
    auto s = std::make_unique<IvonParamState>();
    s->mean(p.detach().clone());
    s->momentum(torch::zeros_like(p));
    s->hessian(torch::full_like(p, o.hess_init()));
    it = state_.emplace(key, std::move(s)).first;
  }
  return static_cast<IvonParamState&>(*it->second);
}

void Ivon::sample() {
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const IvonOptions&>(group.options());
    for (auto& p : group.params()) {
      auto& s = state_of(p, o);
      auto sigma = (s.hessian() + o.weight_decay()).mul(o.ess()).rsqrt();
      s.noise(torch::randn_like(p) * sigma);
      p.copy_(s.mean() + s.noise());
    }
  }
}

torch::Tensor Ivon::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const IvonOptions&>(group.options());
    for (auto& p : group.params()) {
      auto& s = state_of(p, o);
      if (!p.grad().defined()) {
        p.copy_(s.mean());
        continue;
      }
      auto g_hat = p.grad();
      // ĥ = ĝ·ε/σ² = ĝ·ε·λ(h + δ): the reparameterisation estimate of the diagonal Hessian.
      auto h = s.hessian();
      auto h_hat = s.noise().defined() ? g_hat * s.noise() * (h + o.weight_decay()).mul(o.ess()) : h.clone();
      s.step(s.step() + 1);
      s.momentum().mul_(o.beta1()).add_(g_hat, 1 - o.beta1());
      auto correction = 0.5 * (1 - o.beta2()) * (1 - o.beta2()) * (h - h_hat).square() / (h + o.weight_decay());
      auto h_new = h * o.beta2() + h_hat * (1 - o.beta2()) + correction;
      s.hessian(h_new);
      auto momentum = s.momentum() / (1 - std::pow(o.beta1(), static_cast<double>(s.step())));
      s.mean().sub_((momentum + s.mean() * o.weight_decay()) / (h_new + o.weight_decay()) * o.lr());
      s.noise(torch::Tensor());
      p.copy_(s.mean());
    }
  }
  return loss;
}

torch::Tensor Ivon::precision(const torch::Tensor& parameter) const {
  for (const auto& group : param_groups_) {
    const auto& o = static_cast<const IvonOptions&>(group.options());
    for (const auto& p : group.params()) {
      if (!p.is_same(parameter)) continue;
      auto it = state_.find(state_key(p));
      if (it == state_.end()) return torch::full_like(p, o.ess() * (o.hess_init() + o.weight_decay()));
      return (static_cast<const IvonParamState&>(*it->second).hessian() + o.weight_decay()) * o.ess();
    }
  }
  throw std::invalid_argument("Ivon::precision: not a parameter of this optimizer");
}

void Ivon::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<IvonParamState, IvonOptions>(archive, *this);
}

void Ivon::load(torch::serialize::InputArchive& archive) {
  torch::optim::serialize<IvonParamState, IvonOptions>(archive, *this);
}

}  // namespace remix::train
