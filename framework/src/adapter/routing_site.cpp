// Calling a router plugin safely and recording its decision (see routing_site.h).
#include "adapter/routing_site.h"

#include "common/seed_mix.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include "adapter/routing_trace.h"
#include "remix/errors.h"

namespace remix::adapter {

namespace {

bool has_shape(const torch::Tensor& t, std::initializer_list<std::int64_t> shape) {
  return t.defined() && t.sizes() == c10::IntArrayRef(shape);
}

}  // namespace

RoutingSiteImpl::RoutingSiteImpl(RouterContext context, std::shared_ptr<Router> router, std::string plugin_name,
                                 bool policy_gradient)
    : context_(std::move(context)),
      router_(std::move(router)),
      plugin_name_(std::move(plugin_name)),
      policy_gradient_(policy_gradient) {
  register_module("router", router_);
}

void RoutingSiteImpl::fail(const std::string& what) const {
  throw PluginError(fmt::format("router plugin '{}' at site {}: {}", plugin_name_, context_.site, what));
}

RouteOutput RoutingSiteImpl::checked(RouteOutput out, const torch::Tensor& x, const model::RoutingContext& ctx) const {
  const auto B = x.size(0), T = x.size(1), n = context_.num_experts;
  if (!out.experts.defined() || out.experts.dim() != 3 || out.experts.size(0) != B || out.experts.size(1) != T ||
      out.experts.scalar_type() != torch::kLong)
    fail(fmt::format("route() returned experts {} of type {}, expected int64 [{}, {}, k]", shape_of(out.experts),
                     out.experts.defined() ? std::string(c10::toString(out.experts.scalar_type())) : "none", B, T));
  if (!out.weights.defined() || out.weights.sizes() != out.experts.sizes())
    fail(fmt::format("route() returned weights {}, expected the experts' shape {}", shape_of(out.weights),
                     shape_of(out.experts)));
  if (!has_shape(out.probs, {B, T, n}))
    fail(fmt::format("route() returned probs {}, expected [{}, {}, {}]", shape_of(out.probs), B, T, n));
  if (out.log_prob.defined() && !has_shape(out.log_prob, {B}))
    fail(fmt::format("route() returned log_prob {}, expected [{}]", shape_of(out.log_prob), B));
  if (out.token_log_prob.defined() && !has_shape(out.token_log_prob, {B, T}))
    fail(fmt::format("route() returned token_log_prob {}, expected [{}, {}]", shape_of(out.token_log_prob), B, T));
  if (out.num_decisions.defined() && !has_shape(out.num_decisions, {B}))
    fail(fmt::format("route() returned num_decisions {}, expected [{}]", shape_of(out.num_decisions), B));
  if (out.aux_loss.defined() && out.aux_loss.numel() != 1)
    fail(fmt::format("route() returned aux_loss {}, expected a scalar", shape_of(out.aux_loss)));
  if (out.site_input.defined() && out.site_input.sizes() != x.sizes())
    fail(fmt::format("route() returned site_input {}, expected the site input's shape {}", shape_of(out.site_input),
                     shape_of(x)));
  if (out.pooled_balance_coef < 0 || !std::isfinite(out.pooled_balance_coef))
    fail(fmt::format("route() returned pooled_balance_coef {}, expected a finite value >= 0", out.pooled_balance_coef));
  if (out.pooled_balance_coef > 0 && out.aux_loss.defined())
    fail("route() returned both aux_loss and pooled_balance_coef; a site's balance loss is one or the other");
  if (ctx.training && policy_gradient_ && !out.log_prob.defined())
    fail("the router needs the policy-gradient path but returned no log_prob in training");
  return out;
}

// Each site draws independent noise for the same row: the row's key mixed with the site's name.
torch::Tensor RoutingSiteImpl::site_noise_keys(const torch::Tensor& row_keys) const {
  std::uint64_t salt = 0xcbf29ce484222325ULL;  // FNV-1a of the site name: stable across runs and machines
  for (unsigned char c : context_.site) salt = (salt ^ c) * 0x100000001b3ULL;
  auto rows = row_keys.to(torch::kCPU).contiguous();
  auto out = torch::empty_like(rows);
  const auto* in = rows.data_ptr<std::int64_t>();
  auto* keys = out.data_ptr<std::int64_t>();
  for (std::int64_t b = 0; b < rows.numel(); ++b)
    keys[b] = static_cast<std::int64_t>(mix_seed(static_cast<std::uint64_t>(in[b]), salt));
  return out;
}

RoutingSiteImpl::Decision RoutingSiteImpl::route(const torch::Tensor& site_input, const model::RoutingContext& ctx) {
  // Routers always see the [B, T, D] grid; a packed forward's rows are unpacked for them and their weights packed.
  const auto x = ctx.packed ? ctx.packed->unpack(site_input) : site_input;
  const auto B = x.size(0), T = x.size(1);
  RouteInput in;
  in.x = x;
  in.mask = ctx.valid_mask.defined() ? ctx.valid_mask : torch::ones({B, T}, x.options().dtype(torch::kBool));
  in.prompt_mask = ctx.prompt_mask.defined() ? ctx.prompt_mask : in.mask;
  in.training = ctx.training;
  in.decoding = ctx.decoding;
  in.state = ctx.router_state ? &(*ctx.router_state)[context_.site] : nullptr;
  if (ctx.training && ctx.noise_keys.defined()) {  // derived on the host, then queued to the site input's device
    in.noise_keys = site_noise_keys(ctx.noise_keys);
    if (x.is_cuda()) in.noise_keys = in.noise_keys.pin_memory().to(x.device(), /*non_blocking=*/true);
  }

  RouteOutput out;
  torch::Tensor dense;
  try {
    out = checked(router_->route(in), x, ctx);
    // Experts not chosen weigh zero; an out-of-range expert index fails here, still as the router's error.
    dense = torch::zeros({B * T, context_.num_experts}, out.weights.options())
                .scatter_add(1, out.experts.reshape({B * T, -1}), out.weights.reshape({B * T, -1}));
  } catch (const PluginError&) {
    throw;
  } catch (const c10::Error& e) {
    fail(fmt::format("route() failed: {}", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    fail(fmt::format("route() failed: {}", e.what()));
  }
  if (ctx.trace) {
    SiteDecision d;
    d.site = context_.site;
    d.num_experts = context_.num_experts;
    d.sampled = out.log_prob.defined();
    d.valid = in.mask;
    d.experts = out.experts;
    d.weights = out.weights;
    d.probs = out.probs;
    d.log_prob = out.log_prob;
    d.aux_loss = out.aux_loss;
    d.num_decisions = out.num_decisions;
    d.token_log_prob = out.token_log_prob;
    d.reaches_later_positions = reaches_later_positions_;
    d.pooled_balance_coef = out.pooled_balance_coef;
    ctx.trace->record(std::move(d));
  }
  if (!ctx.packed) return {dense, out.site_input.defined() ? out.site_input : site_input};
  return {dense.index_select(0, ctx.packed->index),
          out.site_input.defined() ? ctx.packed->pack(out.site_input) : site_input};
}

std::string shape_of(const torch::Tensor& t) {
  return t.defined() ? fmt::format("[{}]", fmt::join(t.sizes(), ", ")) : "undefined";
}

}  // namespace remix::adapter
