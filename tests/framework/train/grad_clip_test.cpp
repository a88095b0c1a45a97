// Gradient clipping over the trainer's two parameter groups: the global scope scales both groups by one factor
// (LibTorch's clip_grad_norm_ over all of them, as every earlier run was trained); the group scope clips a group
// whose gradient is too large and leaves the other group's gradient untouched; both report the joint norm before
// clipping; an unknown scope names its key.
#include <gtest/gtest.h>

#include "remix/errors.h"
#include "train/grad_clip.h"

namespace remix::train {
namespace {

// LoRA group: gradient norm 0.5; router group: gradient norm 20 (a noisy RLOO gradient).
std::vector<std::vector<torch::Tensor>> two_groups() {
  auto lora = torch::zeros({2}, torch::requires_grad());
  auto router = torch::zeros({1}, torch::requires_grad());
  lora.mutable_grad() = torch::tensor({0.3f, 0.4f});
  router.mutable_grad() = torch::tensor({20.0f});
  return {{lora}, {router}};
}

TEST(GradClip, GroupScopeLeavesTheOtherGroupUntouched) {
  auto g = two_groups();
  double norm = clip_gradients(g, 1.0, ClipScope::Group).item<double>();
  EXPECT_NEAR(norm, std::sqrt(0.25 + 400.0), 1e-4);
  EXPECT_TRUE(torch::equal(g[0][0].grad(), torch::tensor({0.3f, 0.4f})));  // under its limit: as it was
  EXPECT_NEAR(g[1][0].grad().item<double>(), 1.0, 1e-5);                    // clipped to norm 1 alone
}

TEST(GradClip, GlobalScopeScalesEveryGroupByOneFactorAsBefore) {
  auto g = two_groups();
  auto reference = two_groups();
  double norm = clip_gradients(g, 1.0, ClipScope::Global).item<double>();
  std::vector<torch::Tensor> all = {reference[0][0], reference[1][0]};
  double expected = torch::nn::utils::clip_grad_norm_(all, 1.0);
  EXPECT_EQ(norm, expected);
  EXPECT_TRUE(torch::equal(g[0][0].grad(), reference[0][0].grad()));  // bit for bit the earlier clip
  EXPECT_TRUE(torch::equal(g[1][0].grad(), reference[1][0].grad()));
  EXPECT_LT(g[0][0].grad().norm().item<double>(), 0.03);  // the LoRA gradient throttled by the router's norm
}

TEST(GradClip, NoLimitMeasuresOnlyAndBadScopesNameTheKey) {
  auto g = two_groups();
  EXPECT_NEAR(clip_gradients(g, 0.0, ClipScope::Group).item<double>(), std::sqrt(400.25), 1e-4);
  EXPECT_TRUE(torch::equal(g[1][0].grad(), torch::tensor({20.0f})));
  EXPECT_EQ(parse_clip_scope("group"), ClipScope::Group);
  try {
    parse_clip_scope("layer");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.grad_clip_scope"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace remix::train
