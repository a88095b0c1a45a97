// One routing site: the router a plugin made for it, called on the site's input once per forward. The site
// fills in what the router is owed (valid and prompt masks, the generation state), checks what it returns
// (shapes, dtypes, a log_prob from a policy-gradient router in training), records the decision in the trace
// and turns it into the dense per-token expert weights [B·T, n] the expert banks consume.
//
// Anything a router throws, or a malformed output, becomes a PluginError naming the router plugin and the
// site (docs/architecture.md §3: exceptions inside plugin methods are caught on the host side).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "model/adapter_slot.h"
#include "remix/router.h"

namespace remix::adapter {

class RoutingSiteImpl : public torch::nn::Module {
 public:
  // `policy_gradient`: the plugin's trait; such a router must return log_prob in training.
  RoutingSiteImpl(RouterContext context, std::shared_ptr<Router> router, std::string plugin_name,
                  bool policy_gradient);

  // What a route() call gives the site's projections: dense expert weights [B·T, n] (with ctx.packed, [N, n]) and
  // the input to compute on — the site input, or what the router returned as RouteOutput::site_input, in the same
  // layout as the site input.
  struct Decision {
    torch::Tensor weights;
    torch::Tensor input;
  };
  // x [B,T,D] (with ctx.packed, rows [N,D]).
  Decision route(const torch::Tensor& site_input, const model::RoutingContext& ctx);

  const RouterContext& context() const { return context_; }
  // Whether a decision at position t can change the logits of positions after t (true unless the site sits where
  // only position t reads it: the last block's FFN, its q and o projections). Recorded in the trace for
  // train.credit: to-go.
  void set_reaches_later_positions(bool reaches) { reaches_later_positions_ = reaches; }
  bool reaches_later_positions() const { return reaches_later_positions_; }
  Router& router() const { return *router_; }

 private:
  torch::Tensor site_noise_keys(const torch::Tensor& row_keys) const;
  RouteOutput checked(RouteOutput out, const torch::Tensor& x, const model::RoutingContext& ctx) const;
  [[noreturn]] void fail(const std::string& what) const;
  RouterContext context_;
  std::shared_ptr<Router> router_;
  std::string plugin_name_;
  bool policy_gradient_;
  bool reaches_later_positions_ = true;
};
TORCH_MODULE(RoutingSite);

// How messages about a router's output show a tensor's shape: "[4, 16]", or "undefined".
std::string shape_of(const torch::Tensor& t);

}  // namespace remix::adapter
