// The decoder's forward pass (see transformer.h).
#include "model/transformer.h"

#include "model/frozen_weights.h"

#include <fmt/format.h>

#include <cmath>

#include "common/text.h"
#include "remix/errors.h"

namespace remix::model {

TransformerImpl::TransformerImpl(const TransformerOptions& options)
    : options_(options), rope_(options.head_dim(), options.max_seq_len(), options.rope_theta(), options.rope_scaling()) {
  options_.validate();
  embed = register_module("embed", torch::nn::Embedding(options.vocab_size(), options.dim()));
  layers = register_module("layers", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < options.n_layers(); ++i) layers->push_back(TransformerBlock(options));
  norm = register_module("norm", RMSNorm(options.dim(), options.norm_eps()));
  if (!options.tie_embeddings())
    head = register_module(
        "head", torch::nn::Linear(torch::nn::LinearOptions(options.dim(), options.vocab_size()).bias(false)));
  base_parameters_ = parameters();  // before any adapter is attached
  init_weights();
}

void TransformerImpl::init_weights() {
  // llama2.c's model.py: N(0, 0.02) everywhere, the projections feeding the residual stream (o, down) scaled
  // down by sqrt(2 * n_layers); norms start at one.
  torch::NoGradGuard no_grad;
  const double residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(options_.n_layers()));
  for (auto& item : named_parameters()) {
    const auto& name = item.key();
    auto& p = item.value();
    if (p.dim() < 2) continue;
    bool residual = text::ends_with(name, ".o.weight") || text::ends_with(name, ".down.weight");
    p.normal_(0.0, residual ? residual_std : 0.02);
  }
}

std::vector<torch::Tensor> TransformerImpl::base_parameters() { return base_parameters_; }

void TransformerImpl::freeze_base() {
  for (auto& p : base_parameters_) p.set_requires_grad(false);
}

void TransformerImpl::store_frozen_matrices_as(torch::Dtype dtype) {
  torch::NoGradGuard no_grad;
  for (auto& p : base_parameters_)
    if (p.dim() == 2 && !p.requires_grad()) p.set_data(p.to(dtype));
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& tokens, const RoutingContext& routing, KVCache* cache) {
  const auto B = tokens.size(0), T = tokens.size(1);
  const auto start = cache ? cache->length() : 0;
  if (start + T > options_.max_seq_len())
    throw ConfigError(
        fmt::format("a sequence of {} tokens (padding included) is longer than the model's context, "
                    "model.max_seq_len={}",
                    start + T, options_.max_seq_len()));
  auto device = tokens.device();
  auto valid = routing.valid_mask.defined() ? routing.valid_mask.to(torch::kBool)
                                            : torch::ones({B, T}, torch::dtype(torch::kBool).device(device));
  RoutingContext ctx = routing;
  ctx.valid_mask = valid;
  ctx.prompt_mask = routing.prompt_mask.defined() ? routing.prompt_mask.to(torch::kBool).logical_and(valid) : valid;

  // Positions count a row's real tokens only, so padding (left or right) never shifts them.
  auto before =
      cache ? cache->next_position().unsqueeze(1) : torch::zeros({B, 1}, tokens.options().dtype(torch::kLong));
  auto positions = (before + valid.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  auto key_valid = cache ? cache->reserve(valid) : valid;
  const auto L = start + T;
  auto col = torch::arange(L, tokens.options().dtype(torch::kLong)).view({1, L});
  auto row = torch::arange(start, L, tokens.options().dtype(torch::kLong)).view({T, 1});
  // Query t sees earlier real tokens and always itself (so a padding query has one key and never yields NaN).
  auto allowed = col.le(row).logical_and(key_valid.unsqueeze(1).logical_or(col.eq(row)));

  BlockInputs in;
  std::tie(in.cos, in.sin) = rope_.at(positions);
  in.allowed = allowed.view({B, 1, 1, T, L});
  in.start = start;
  in.routing = &ctx;

  // On the CPU, a forward without a cache computes on the real tokens only (packed_rows.h). Not on a GPU: finding
  // the rows would wait for the device, and there wide kernels make padding cheap.
  PackedRows packed;
  if (!cache && tokens.is_cpu() && !valid.all().item<bool>() && valid.any().item<bool>()) {
    packed = pack_rows(valid);
    ctx.packed = &packed;
    in.cos = packed.pack(in.cos);  // [N,1,head_dim/2]: the rows' own positions
    in.sin = packed.pack(in.sin);
  }
  auto h = embed->forward(ctx.packed ? tokens.reshape({-1}).index_select(0, packed.index) : tokens);
  if (h.scalar_type() != torch::kFloat32) h = h.to(torch::kFloat32);  // an embedding stored in bfloat16
  for (std::size_t i = 0; i < layers->size(); ++i)
    h = layers->ptr<TransformerBlockImpl>(i)->forward(h, in, cache ? &cache->layer(i) : nullptr);
  h = norm->forward(h);
  auto logits = frozen_linear(h, head ? head->weight : embed->weight, torch::Tensor());
  if (ctx.packed) logits = packed.unpack(logits);  // padding cells: zero logits, which no loss counts
  if (cache) cache->commit(valid);
  return logits;
}

}  // namespace remix::model
