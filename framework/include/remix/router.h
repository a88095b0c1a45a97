// The router interface: what a router plugin implements to decide, per token, which LoRA experts of a
// routing site run and with what weights (docs/architecture.md §4).
//
// A router is a torch module (its parameters are registered with `register_module`/`register_parameter` and
// trained by the host's optimizer). The host creates one router per routing site through the plugin's factory,
// calls `route` once per forward, and records what it returns in the routing trace. Helpers that most routers
// need (masked pooling, top-k with ties to the lower index, Gumbel-top-k, log Q of an ordered draw) are in
// remix/routing.h.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>

#include "remix/params.h"

namespace remix {

// How a site's experts store their LoRA factors: n independent (A_i, B_i) pairs, or one A shared by n B heads.
enum class ExpertLayout : std::uint32_t { Independent = 0, SharedA = 1 };
// Where routers sit: one per transformer sub-block (attention, FFN) shared by its adapted projections, or one
// per adapted projection.
enum class RouterScope : std::uint32_t { Block = 0, Module = 1 };

// What a router is, asked before any router exists: whether the host trains it by policy gradient (it
// returns log_prob in training and learns only through it), the expert layout / router scope it requires,
// if any, and the most experts per site it can route (0 = any); the host refuses a config that contradicts
// them before it builds anything. A router class declares them as
//
//   static constexpr remix::RouterTraits traits = remix::RouterTraits().trained_by_policy_gradient();
//   static constexpr remix::RouterTraits traits = remix::RouterTraits().layout(remix::ExpertLayout::SharedA)
//                                                                       .scope(remix::RouterScope::Module);
//
// and REMIX_ROUTER_PLUGIN copies them into the plugin's descriptor (a class without `traits` gets the
// defaults: learned through its weights, any layout, any scope).
struct RouterTraits {
  bool policy_gradient = false;
  std::int64_t max_experts = 0;
  bool has_layout = false, has_scope = false;
  ExpertLayout required_layout_value = ExpertLayout::Independent;
  RouterScope required_scope_value = RouterScope::Block;
  bool dense = false;  // applies every expert to every token (k' = n), whatever adapter.top_k says

  constexpr RouterTraits applies_every_expert() const {
    RouterTraits t = *this;
    t.dense = true;
    return t;
  }

  constexpr RouterTraits trained_by_policy_gradient() const {
    RouterTraits t = *this;
    t.policy_gradient = true;
    return t;
  }
  constexpr RouterTraits at_most_experts(std::int64_t n) const {
    RouterTraits t = *this;
    t.max_experts = n;
    return t;
  }
  constexpr RouterTraits layout(ExpertLayout l) const {
    RouterTraits t = *this;
    t.has_layout = true;
    t.required_layout_value = l;
    return t;
  }
  constexpr RouterTraits scope(RouterScope s) const {
    RouterTraits t = *this;
    t.has_scope = true;
    t.required_scope_value = s;
    return t;
  }
  std::optional<ExpertLayout> required_layout() const {
    return has_layout ? std::optional<ExpertLayout>(required_layout_value) : std::nullopt;
  }
  std::optional<RouterScope> required_scope() const {
    return has_scope ? std::optional<RouterScope>(required_scope_value) : std::nullopt;
  }
};

// What the host tells a router about the site it serves.
struct RouterContext {
  std::string site;             // e.g. "layers.3.ffn" (block scope) or "layers.3.up" (module scope)
  std::int64_t input_dim = 0;   // D
  std::int64_t num_experts = 0; // n  (adapter.num_experts)
  std::int64_t top_k = 0;       // k  (adapter.top_k)
  std::int64_t rank = 0;        // r of each expert (adapter.r)
  double lora_alpha = 1.0;      // adapter.lora_alpha
};

struct RouteInput {
  torch::Tensor x;            // [B,T,D] the site input
  torch::Tensor mask;         // [B,T] bool: valid (non-padding) tokens; always set by the host
  torch::Tensor prompt_mask;  // [B,T] bool: prompt tokens (a subset of mask); always set by the host
  bool training = false;      // train: sample / learned routing; eval: deterministic routing
  // Incremental generation. A full forward and the prompt (prefill) call of a generation have decoding =
  // false; the later calls of that generation have decoding = true and x holds only the newest token(s).
  // `state` is one tensor a router may keep per generation (e.g. a per-sequence selection made from the
  // prompt): set it when decoding is false, read it when decoding is true. Null outside generation.
  bool decoding = false;
  torch::Tensor* state = nullptr;
  // Training only: one int64 key per row [B] (on x's device) for this site and forward. A router that samples should
  // draw from routing::gumbel_topk(logits, k, noise_keys) / routing::keyed_uniform, so row b's sample depends on its
  // key alone: the same on one rank or N, on any device, whatever else shares the batch. Undefined outside training.
  torch::Tensor noise_keys;
};

struct RouteOutput {
  torch::Tensor experts;   // [B,T,k'] int64, the chosen experts in selection order (k' = top_k, or n if dense)
  torch::Tensor weights;   // [B,T,k'] the weight each chosen expert's B·A·x is scaled by (all scaling included)
  torch::Tensor probs;     // [B,T,n] the router's full distribution q (for diagnostics)
  torch::Tensor log_prob;  // [B] log Q of the sampled selections over valid tokens (policy-gradient routers)
  torch::Tensor aux_loss;  // scalar auxiliary loss, or undefined
  torch::Tensor num_decisions;  // [B] how many sampled decisions log_prob sums (policy-gradient routers)
  // Optional, per-token policy-gradient routers: [B,T] each token's share of log_prob (the log Q of the decision
  // made at that token, 0 where log_prob counts none), summing over T to log_prob. With it the host can credit a
  // decision only with the losses it can change (train.credit: to-go); a router without it trains with
  // train.credit: sequence only.
  torch::Tensor token_log_prob;
  // Optional: what the site's projections compute on instead of RouteInput::x, [B,T,D]. MixLoRA's jitter (and
  // Mixtral's) multiplies the hidden state the experts and the frozen projections see, not only the router's input.
  torch::Tensor site_input;
  // Optional, load-balancing routers: > 0 asks the host for the Switch load-balancing loss pooled over every site
  // that asks, coef · n · Σ_i f_i P_i with f_i / P_i the share of valid tokens (of all those sites together) whose
  // `experts` hold i / their mean probs[i] — MixLoRA's loss over all layers' router logits. Such a router leaves
  // aux_loss undefined; the host computes the pooled loss from `experts` and `probs` (which must carry the gradient).
  double pooled_balance_coef = 0.0;
};

// A router: one per routing site, made by the plugin's factory where the site is built. What it is (its
// RouterTraits) is static and lives in the plugin's descriptor, not here.
class Router : public torch::nn::Module {
 public:
  virtual RouteOutput route(const RouteInput& in) = 0;
};

}  // namespace remix
