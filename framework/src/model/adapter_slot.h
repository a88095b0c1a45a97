// The seam between the transformer and the adapters: the projections an adapter may target, the per-forward
// routing context the trainer passes in, and the interface a sub-block adapter implements. The transformer
// knows only this file; adapter/ implements SubBlockAdapter (MixtureBlock) and attaches it to the blocks.
#pragma once

#include <torch/torch.h>

#include <array>
#include <map>
#include <optional>
#include <string>

#include "model/packed_rows.h"

namespace remix::adapter {
class RoutingTrace;
}

namespace remix::model {

// The seven linear projections of a block (PEFT-style short names: q, k, v, o, gate, up, down).
enum class Projection : int { Q = 0, K, V, O, Gate, Up, Down };
inline constexpr std::array<Projection, 7> kAllProjections = {
    Projection::Q, Projection::K, Projection::V, Projection::O, Projection::Gate, Projection::Up, Projection::Down};
const char* projection_name(Projection p);
std::optional<Projection> parse_projection(const std::string& name);
// Attention projections (q, k, v, o) belong to the attention sub-block, the rest to the FFN.
inline bool is_attention(Projection p) { return static_cast<int>(p) <= static_cast<int>(Projection::O); }

// What one forward pass tells the routers. Masks are [B,T] bool over the tokens of this call.
struct RoutingContext {
  torch::Tensor valid_mask;   // non-padding tokens; undefined = all valid
  torch::Tensor prompt_mask;  // prompt tokens (sequence-granularity routing pools over them); undefined = all valid
  bool training = false;      // training-mode routing (sampling, jitter); eval routing is deterministic
  adapter::RoutingTrace* trace = nullptr;  // filled with every site's decision when set
  // Training: one int64 key per row [B] on the CPU; each site derives its routers' noise keys from it
  // (remix::RouteInput::noise_keys), so a row's routing samples depend on its key alone. Undefined: routers
  // that sample draw from torch's default generator.
  torch::Tensor noise_keys;
  // Set by generation: decoding = the call holds only new tokens of sequences whose prompt was routed
  // before; router_state keeps each site's per-generation state (see remix::RouteInput::state).
  bool decoding = false;
  std::map<std::string, torch::Tensor>* router_state = nullptr;
  // Set by the transformer when this forward runs on packed rows (packed_rows.h): sub-block inputs are then
  // [N, D], not [B, T, D].
  const PackedRows* packed = nullptr;
};

// An adapter attached to one sub-block (the attention or the FFN of a transformer block).
class SubBlockAdapter : public torch::nn::Module {
 public:
  // Called once per forward with the sub-block's input (after its RMSNorm; [B,T,D], or [N,D] rows when ctx.packed),
  // before any projection runs.
  virtual void begin(const torch::Tensor& x, const RoutingContext& ctx) = 0;
  // The output of projection p for input `in`; `base` is the frozen projection (the adapter computes it, so
  // it can fuse it with its own products).
  virtual torch::Tensor apply(Projection p, const torch::Tensor& in, torch::nn::Linear& base,
                              const RoutingContext& ctx) = 0;
  // The whole SwiGLU feed-forward down(silu(gate x) · up x), called after begin() on an FFN sub-block, for an adapter
  // that mixes whole expert FFNs rather than each projection's output (adapter.expert_combine: ffn, MixLoRA's);
  // nullopt: the FFN runs projection by projection through apply().
  virtual std::optional<torch::Tensor> feed_forward(const torch::Tensor& /*x*/, torch::nn::Linear& /*gate*/,
                                                    torch::nn::Linear& /*up*/, torch::nn::Linear& /*down*/,
                                                    const RoutingContext& /*ctx*/) {
    return std::nullopt;
  }
};

}  // namespace remix::model
