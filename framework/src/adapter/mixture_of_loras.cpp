// Attaching a Mixture-of-LoRAs to a transformer and running it (see mixture_of_loras.h).
#include "adapter/mixture_of_loras.h"

#include "model/frozen_weights.h"

#include <fmt/format.h>

#include "remix/errors.h"

namespace remix::adapter {

using model::Projection;

// --- one adapted projection ---

MixtureOfLorasImpl::MixtureOfLorasImpl(const ExpertBankOptions& bank_options, double dropout) : dropout_p_(dropout) {
  bank = register_module("bank", ExpertBank(bank_options));
  dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
}

torch::Tensor MixtureOfLorasImpl::forward(const torch::Tensor& x, const torch::Tensor& base_weight,
                                          const torch::Tensor& weights) {
  const auto& o = bank->options();
  auto out_shape = x.sizes().vec();
  out_shape.back() = o.out();
  auto rows = x.reshape({-1, o.in()});
  // PEFT drops out the LoRA input only; without dropout both paths share x (and one gradient buffer).
  auto lora_rows = dropout_p_ > 0 ? dropout_->forward(rows) : rows;
  return bank->forward(rows, lora_rows, base_weight, weights).view(out_shape);
}

// --- one sub-block ---

MixtureBlockImpl::MixtureBlockImpl(std::map<Projection, MixtureOfLoras> adapted,
                                   std::map<std::optional<Projection>, RoutingSite> sites, double ffn_lora_scale)
    : adapted_(std::move(adapted)), sites_(std::move(sites)), ffn_lora_scale_(ffn_lora_scale) {
  for (auto& [p, m] : adapted_) register_module(model::projection_name(p), m);
  for (auto& [p, s] : sites_) register_module(p ? fmt::format("site_{}", model::projection_name(*p)) : "site", s);
}

void MixtureBlockImpl::begin(const torch::Tensor& x, const model::RoutingContext& ctx) {
  block_x_ = x;
  auto block_site = sites_.find(std::nullopt);
  if (block_site != sites_.end()) block_ = block_site->second->route(x, ctx);
}

torch::Tensor MixtureBlockImpl::project(Projection p, const torch::Tensor& in, torch::nn::Linear& base,
                                        const torch::Tensor& weights) {
  auto module = adapted_.find(p);
  if (module == adapted_.end()) return model::frozen_linear(in, base->weight, base->bias);
  auto out = module->second->forward(in, base->weight, weights);
  // The frozen bias (Qwen2's q, k, v) is the base's: added once, whatever the experts chose.
  return base->bias.defined() ? out + base->bias.to(out.scalar_type()) : out;
}

torch::Tensor MixtureBlockImpl::apply(Projection p, const torch::Tensor& in, torch::nn::Linear& base,
                                      const model::RoutingContext& ctx) {
  // A projection reading the sub-block input reads what the block's router made of it (RouteOutput::site_input).
  const bool reads_block_input = in.is_same(block_x_) && block_.input.defined();
  auto own_site = sites_.find(p);
  if (own_site != sites_.end()) {
    auto own = own_site->second->route(in, ctx);
    return project(p, own.input, base, own.weights);
  }
  return project(p, reads_block_input ? block_.input : in, base, block_.weights);
}

std::optional<torch::Tensor> MixtureBlockImpl::feed_forward(const torch::Tensor& x, torch::nn::Linear& gate,
                                                            torch::nn::Linear& up, torch::nn::Linear& down,
                                                            const model::RoutingContext& /*ctx*/) {
  if (ffn_lora_scale_ <= 0 || !block_.weights.defined()) return std::nullopt;
  const auto D = x.size(-1);
  const auto rows = block_.input.reshape({-1, D});
  const auto& weights = block_.weights;  // [N, n], lora_alpha/r included
  const auto n = weights.size(1);
  // One expert's FFN on some rows: its LoRAs at full scale in every adapted projection (expert < 0: the frozen FFN).
  auto expert_ffn = [&](const torch::Tensor& in, std::int64_t expert) {
    auto w = torch::zeros({in.size(0), n}, weights.options().requires_grad(false));
    if (expert >= 0) w.select(1, expert).fill_(ffn_lora_scale_);
    auto h = torch::silu(project(Projection::Gate, in, gate, w)) * project(Projection::Up, in, up, w);
    return project(Projection::Down, h, down, w);
  };
  auto share = weights / ffn_lora_scale_;  // p_e
  auto out = torch::zeros({rows.size(0), down->weight.size(0)}, rows.options());
  // The frozen FFN takes what the experts' shares leave (nothing for renormalised weights, up to rounding).
  auto base_share = 1.0 - share.sum(1);
  auto base_rows = (base_share.abs() > 1e-6).nonzero().squeeze(1);
  if (base_rows.numel() > 0)
    out = out.index_add(
        0, base_rows,
        expert_ffn(rows.index_select(0, base_rows), -1) * base_share.index_select(0, base_rows).unsqueeze(1));
  for (std::int64_t e = 0; e < n; ++e) {
    auto chosen = (share.select(1, e) != 0).nonzero().squeeze(1);
    if (chosen.numel() == 0) continue;
    auto y = expert_ffn(rows.index_select(0, chosen), e) * share.select(1, e).index_select(0, chosen).unsqueeze(1);
    out = out.index_add(0, chosen, y);
  }
  auto shape = x.sizes().vec();
  shape.back() = out.size(1);
  return out.view(shape);
}

// --- attaching ---

std::vector<torch::Tensor> AttachedMixture::adapter_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& m : modules) {
    out.push_back(m->bank->A);
    out.push_back(m->bank->B);
  }
  return out;
}

std::vector<torch::Tensor> AttachedMixture::router_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& s : sites)
    for (const auto& p : s->router().parameters()) out.push_back(p);
  return out;
}

namespace {

// Input and output width of each projection of a model.
std::pair<std::int64_t, std::int64_t> projection_shape(const model::TransformerOptions& o, Projection p) {
  const auto attn = o.n_heads() * o.head_dim();
  switch (p) {
    case Projection::Q:
      return {o.dim(), attn};
    case Projection::K:
    case Projection::V:
      return {o.dim(), o.kv_dim()};
    case Projection::O:
      return {attn, o.dim()};
    case Projection::Gate:
    case Projection::Up:
      return {o.dim(), o.ffn_dim()};
    case Projection::Down:
      return {o.ffn_dim(), o.dim()};
  }
  throw std::logic_error("unknown projection");
}

}  // namespace

AttachedMixture attach_mixture(model::Transformer& model, MixtureOptions options, const RouterSource& router) {
  options = options.router_name(router.name).fitted_to(router.traits);
  const auto& mo = model->options();
  const char* sub_blocks[] = {"attn", "ffn"};
  auto in_sub_block = [](Projection p, int sub) { return model::is_attention(p) == (sub == 0); };

  auto create = [&](const RouterContext& ctx) {
    auto made = router.make(ctx);
    if (!made) throw PluginError(fmt::format("router plugin '{}' made no router for site {}", router.name, ctx.site));
    return made;
  };

  AttachedMixture attached;
  attached.needs_policy_gradient = router.traits.policy_gradient;
  attached.applies_every_expert = router.traits.dense;
  attached.options = options;
  model->freeze_base();

  // In the last block, what position t's FFN, query and output projections compute reaches only position t's logits
  // (keys and values reach the later positions' attention; any earlier block reaches later blocks at every position).
  auto reaches_later = [&](std::size_t layer, std::optional<Projection> p, int sub) {
    if (layer + 1 < model->num_blocks()) return true;
    if (!p) return sub == 0;
    return *p == Projection::K || *p == Projection::V;
  };
  for (std::size_t layer = 0; layer < model->num_blocks(); ++layer) {
    auto& block = model->block(layer);
    for (int sub = 0; sub < 2; ++sub) {
      std::map<Projection, MixtureOfLoras> adapted;
      std::map<std::optional<Projection>, RoutingSite> sites;
      for (auto p : options.targets()) {
        if (!in_sub_block(p, sub)) continue;
        auto [in, out] = projection_shape(mo, p);
        adapted.emplace(
            p, MixtureOfLoras(ExpertBankOptions(in, out, options.num_experts(), options.r()).layout(*options.layout()),
                              options.lora_dropout()));
        if (*options.scope() == RouterScope::Module) {
          auto ctx = options.router_context(fmt::format("layers.{}.{}", layer, model::projection_name(p)), in);
          sites.emplace(p, RoutingSite(ctx, create(ctx), router.name, router.traits.policy_gradient));
        }
      }
      if (adapted.empty()) continue;
      if (*options.scope() == RouterScope::Block) {
        auto ctx = options.router_context(fmt::format("layers.{}.{}", layer, sub_blocks[sub]), mo.dim());
        sites.emplace(std::nullopt, RoutingSite(ctx, create(ctx), router.name, router.traits.policy_gradient));
      }
      for (auto& [p, m] : adapted) attached.modules.push_back(m);
      for (auto& [p, s] : sites) {
        s->set_reaches_later_positions(reaches_later(layer, p, sub));
        attached.sites.push_back(s);
      }
      const bool whole_ffns = sub == 1 && options.expert_combine() == ExpertCombine::Ffn;
      auto mixture = std::make_shared<MixtureBlockImpl>(std::move(adapted), std::move(sites),
                                                        whole_ffns ? options.lora_alpha() / options.r() : 0.0);
      if (sub == 0)
        block.attn->set_adapter(mixture);
      else
        block.ffn->set_adapter(mixture);
    }
  }
  return attached;
}

}  // namespace remix::adapter
