// The decoder's building blocks (see layers.h).
#include "model/layers.h"

#include "model/frozen_weights.h"

#include <cmath>

namespace remix::model {

namespace {

torch::nn::Linear linear(std::int64_t in, std::int64_t out, bool bias = false) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

}  // namespace

const char* projection_name(Projection p) {
  static const char* names[] = {"q", "k", "v", "o", "gate", "up", "down"};
  return names[static_cast<int>(p)];
}

std::optional<Projection> parse_projection(const std::string& name) {
  for (auto p : kAllProjections)
    if (name == projection_name(p) || name == std::string(projection_name(p)) + "_proj") return p;  // PEFT's names
  return std::nullopt;
}

torch::Tensor project_through(const std::shared_ptr<SubBlockAdapter>& adapter, Projection p, torch::nn::Linear& lin,
                              const torch::Tensor& x, const RoutingContext& ctx) {
  return adapter ? adapter->apply(p, x, lin, ctx) : frozen_linear(x, lin->weight, lin->bias);
}

// --- RMSNorm ---

RMSNormImpl::RMSNormImpl(std::int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps_) * weight;
}

// --- rotary embedding ---

torch::Tensor RotaryEmbedding::frequencies(std::int64_t head_dim, double theta, const Llama3RopeScaling& scaling) {
  auto pair = torch::arange(0, head_dim, 2, torch::kDouble);
  auto freq = torch::pow(theta, -pair / static_cast<double>(head_dim));
  if (scaling.factor <= 0) return freq;
  // Llama-3: wavelengths longer than the original context / low_freq_factor are stretched by `factor`, shorter
  // than original / high_freq_factor kept, and those between interpolated smoothly.
  const double original = static_cast<double>(scaling.original_max_position_embeddings);
  auto wavelen = 2 * M_PI / freq;
  auto smooth = (original / wavelen - scaling.low_freq_factor) / (scaling.high_freq_factor - scaling.low_freq_factor);
  auto medium = (1 - smooth) * freq / scaling.factor + smooth * freq;
  auto scaled = torch::where(wavelen > original / scaling.low_freq_factor, freq / scaling.factor, freq);
  return torch::where(wavelen < original / scaling.high_freq_factor, freq,
                      torch::where(wavelen > original / scaling.low_freq_factor, scaled, medium));
}

RotaryEmbedding::RotaryEmbedding(std::int64_t head_dim, std::int64_t max_seq_len, double theta,
                                 const Llama3RopeScaling& scaling) {
  auto freq = frequencies(head_dim, theta, scaling);
  auto angle = torch::arange(max_seq_len, torch::kDouble).unsqueeze(1) * freq.unsqueeze(0);
  cos_ = angle.cos().to(torch::kFloat);
  sin_ = angle.sin().to(torch::kFloat);
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbedding::at(const torch::Tensor& positions) {
  if (cos_.device() != positions.device()) {
    cos_ = cos_.to(positions.device());
    sin_ = sin_.to(positions.device());
  }
  auto flat = positions.reshape({-1});
  auto shape = std::vector<std::int64_t>{positions.size(0), positions.size(1), 1, cos_.size(1)};
  return {cos_.index_select(0, flat).view(shape), sin_.index_select(0, flat).view(shape)};
}

torch::Tensor RotaryEmbedding::rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                      RopeStyle style) {
  if (style == RopeStyle::Half) {
    auto halves = x.chunk(2, -1);
    const auto &x0 = halves[0], &x1 = halves[1];
    return torch::cat({x0 * cos - x1 * sin, x0 * sin + x1 * cos}, -1);
  }
  auto pairs = x.unflatten(-1, {-1, 2});
  auto x0 = pairs.select(-1, 0), x1 = pairs.select(-1, 1);
  return torch::stack({x0 * cos - x1 * sin, x0 * sin + x1 * cos}, -1).flatten(-2);
}

// --- attention ---

AttentionImpl::AttentionImpl(const TransformerOptions& opt)
    : n_heads_(opt.n_heads()), n_kv_heads_(opt.n_kv_heads()), head_dim_(opt.head_dim()), rope_style_(opt.rope_style()) {
  q = register_module("q", linear(opt.dim(), n_heads_ * head_dim_, opt.attention_bias()));
  k = register_module("k", linear(opt.dim(), opt.kv_dim(), opt.attention_bias()));
  v = register_module("v", linear(opt.dim(), opt.kv_dim(), opt.attention_bias()));
  o = register_module("o", linear(n_heads_ * head_dim_, opt.dim()));
}

void AttentionImpl::set_adapter(std::shared_ptr<SubBlockAdapter> adapter) {
  adapter_ = register_module("adapter", std::move(adapter));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const BlockInputs& in, LayerCache* cache) {
  const auto& ctx = *in.routing;
  if (ctx.packed) return forward_packed(x, in);
  const auto B = x.size(0), T = x.size(1);
  if (adapter_) adapter_->begin(x, ctx);
  auto heads = [&](Projection p, torch::nn::Linear& lin, std::int64_t n) {
    return project_through(adapter_, p, lin, x, ctx).view({B, T, n, head_dim_});
  };
  auto qh = RotaryEmbedding::rotate(heads(Projection::Q, q, n_heads_), in.cos, in.sin, rope_style_);
  auto kh = RotaryEmbedding::rotate(heads(Projection::K, k, n_kv_heads_), in.cos, in.sin, rope_style_).transpose(1, 2);
  auto vh = heads(Projection::V, v, n_kv_heads_).transpose(1, 2);
  torch::Tensor keys = kh, values = vh;
  if (cache) {
    cache->k.narrow(2, in.start, T).copy_(kh);
    cache->v.narrow(2, in.start, T).copy_(vh);
    keys = cache->k.narrow(2, 0, in.start + T);
    values = cache->v.narrow(2, 0, in.start + T);
  }
  return project_through(adapter_, Projection::O, o, attend(qh, keys, values, in.allowed), ctx);
}

torch::Tensor AttentionImpl::forward_packed(const torch::Tensor& x, const BlockInputs& in) {
  const auto& ctx = *in.routing;
  const auto& packed = *ctx.packed;
  const auto N = x.size(0);
  if (adapter_) adapter_->begin(x, ctx);
  auto rows = [&](Projection p, torch::nn::Linear& lin, std::int64_t n) {
    return project_through(adapter_, p, lin, x, ctx).view({N, n, head_dim_});
  };
  auto qr = RotaryEmbedding::rotate(rows(Projection::Q, q, n_heads_), in.cos, in.sin, rope_style_);
  auto kr = RotaryEmbedding::rotate(rows(Projection::K, k, n_kv_heads_), in.cos, in.sin, rope_style_);
  auto vr = rows(Projection::V, v, n_kv_heads_);
  std::vector<torch::Tensor> out;
  for (const auto& g : packed.groups) {  // each group a batch of its own, cut to its longest row
    auto grid = [&](const torch::Tensor& r) { return packed.unpack_group(g, r.narrow(0, g.offset, g.count)); };
    auto allowed = in.allowed.index_select(0, g.batch_rows).narrow(3, 0, g.length).narrow(4, 0, g.length);
    auto o_g = attend(grid(qr), grid(kr).transpose(1, 2), grid(vr).transpose(1, 2), allowed);
    out.push_back(packed.pack_group(g, o_g));
  }
  return project_through(adapter_, Projection::O, o, torch::cat(out), ctx);
}

torch::Tensor AttentionImpl::attend(const torch::Tensor& qh, const torch::Tensor& keys, const torch::Tensor& values,
                                    const torch::Tensor& allowed) const {
  const auto B = qh.size(0), T = qh.size(1), L = keys.size(2);
  const auto groups = n_heads_ / n_kv_heads_;
  // Query head h reads key/value head h / groups (llama2.c): group the queries of one KV head together so the
  // keys are never copied per query head.
  auto qg = qh.view({B, T, n_kv_heads_, groups, head_dim_})
                .permute({0, 2, 3, 1, 4})
                .reshape({B, n_kv_heads_, groups * T, head_dim_});
  auto scores = torch::matmul(qg, keys.transpose(-1, -2)).div_(std::sqrt(static_cast<double>(head_dim_)));
  scores = scores.view({B, n_kv_heads_, groups, T, L}).masked_fill(allowed.logical_not(), -INFINITY);
  auto attn = torch::softmax(scores, -1).view({B, n_kv_heads_, groups * T, L});
  auto out = torch::matmul(attn, values).view({B, n_kv_heads_, groups, T, head_dim_}).permute({0, 3, 1, 2, 4});
  return out.reshape({B, T, n_heads_ * head_dim_});
}

// --- SwiGLU feed-forward ---

FeedForwardImpl::FeedForwardImpl(const TransformerOptions& o) {
  gate = register_module("gate", linear(o.dim(), o.ffn_dim()));
  up = register_module("up", linear(o.dim(), o.ffn_dim()));
  down = register_module("down", linear(o.ffn_dim(), o.dim()));
}

void FeedForwardImpl::set_adapter(std::shared_ptr<SubBlockAdapter> adapter) {
  adapter_ = register_module("adapter", std::move(adapter));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x, const RoutingContext& ctx) {
  if (adapter_) {
    adapter_->begin(x, ctx);
    if (auto whole = adapter_->feed_forward(x, gate, up, down, ctx)) return *whole;
  }
  auto h = torch::silu(project_through(adapter_, Projection::Gate, gate, x, ctx)) *
           project_through(adapter_, Projection::Up, up, x, ctx);
  return project_through(adapter_, Projection::Down, down, h, ctx);
}

// --- block ---

TransformerBlockImpl::TransformerBlockImpl(const TransformerOptions& o) {
  attn_norm = register_module("attn_norm", RMSNorm(o.dim(), o.norm_eps()));
  attn = register_module("attn", Attention(o));
  ffn_norm = register_module("ffn_norm", RMSNorm(o.dim(), o.norm_eps()));
  ffn = register_module("ffn", FeedForward(o));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const BlockInputs& in, LayerCache* cache) {
  auto h = x + attn->forward(attn_norm->forward(x), in, cache);
  return h + ffn->forward(ffn_norm->forward(h), *in.routing);
}

}  // namespace remix::model
