// Compute accounting: the frozen step's FLOPs are the hand count for a small shape; a step adds its tokens, the
// frozen work and 6 FLOPs per active LoRA parameter and token, and its seconds; a ReMix step of M replicas counts M
// times the tokens of the same batch under a single LoRA.
#include <gtest/gtest.h>

#include "train/compute_account.h"

namespace remix::train {
namespace {

model::TransformerOptions shape() {
  return model::TransformerOptions().dim(8).n_layers(2).n_heads(2).n_kv_heads(1).ffn_dim(16).vocab_size(10);
}

TEST(ComputeAccount, FrozenStepFlopsAreTheHandCount) {
  // Per layer: q and o 8x8 each, k and v 8x4 each, gate/up/down 8x16 each = 64+64+32+32+384 = 576 weights; two
  // layers and the 8x10 head: 1232 weights, 4 FLOPs each per token. Attention: 2 layers x 4 x T(=5) x d(=8) x 3.
  EXPECT_DOUBLE_EQ(frozen_step_flops(shape(), 1, 5), 4 * 1232 + 2 * 4 * 5 * 8 * 3);
  EXPECT_DOUBLE_EQ(frozen_step_flops(shape(), 10, 5), 10 * frozen_step_flops(shape(), 1, 5));
}

TEST(ComputeAccount, AStepAddsItsTokensFlopsAndSeconds) {
  ComputeAccount a;
  a.add_step(shape(), 20, 4, 100, 0.5);
  EXPECT_DOUBLE_EQ(a.tokens, 20);
  EXPECT_DOUBLE_EQ(a.flops, frozen_step_flops(shape(), 20, 5) + 6 * 100 * 20);
  EXPECT_DOUBLE_EQ(a.seconds, 0.5);
  ComputeAccount remix, lora;
  remix.add_step(shape(), 4 * 20, 4 * 4, 100, 1);  // M = 4 replicas of the same 4 rows
  lora.add_step(shape(), 20, 4, 100, 1);
  EXPECT_DOUBLE_EQ(remix.flops, 4 * lora.flops);
  a.add_step(shape(), 20, 4, 100, 0.25);
  EXPECT_DOUBLE_EQ(a.tokens, 40);
  EXPECT_DOUBLE_EQ(a.seconds, 0.75);
}

}  // namespace
}  // namespace remix::train
