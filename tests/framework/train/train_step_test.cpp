// The training step on a GPU, against the same step on the CPU (skipped, saying why, where this LibTorch has no CUDA
// or the machine no GPU; tests/gpu/device_check.sh runs them on a lent GPU). The same tiny adapted model on both
// devices gives the same logits and, through the trainer's own forward_backward, the same losses and adapter and
// router gradients within float tolerance: softmax (deterministic routing) and ReMix (its keyed routing noise draws
// the same samples on every device). With bfloat16 storage the GPU takes its frozen products in bfloat16 and stays
// within bfloat16's tolerance of the float32 CPU model, its adapters' gradients still float32. The step's scalars
// stay on the GPU until they are taken.
#include <gtest/gtest.h>

#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <algorithm>

#include "model/tokenizer.h"
#include "support/models.h"
#include "train/train_step.h"

namespace remix::train {
namespace {

#define REMIX_REQUIRE_CUDA()                                                                               \
  if (!torch::cuda::is_available())                                                                        \
  GTEST_SKIP() << (c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA)                                    \
                       ? "no CUDA device on this machine (this LibTorch has CUDA)"                         \
                       : "this LibTorch has no CUDA (Debian's is CPU-only; ./setup.sh --torch pip builds one)")

AdaptedModel adapted(const std::string& router, bool bf16, const torch::Device& device) {
  AdaptedModel m;
  m.model = test::tiny_model(11);
  m.model->freeze_base();
  if (bf16) m.model->store_frozen_matrices_as(torch::kBFloat16);
  torch::manual_seed(12);
  auto options = adapter::MixtureOptions().num_experts(4).top_k(2).r(2).lora_alpha(4).router_name(router);
  m.mixture = adapter::attach_mixture(m.model, options, test::router_source(router));
  torch::manual_seed(13);
  test::randomize_adapters(m.mixture);
  m.tokenizer = std::make_shared<model::ByteTokenizer>();
  m.model->to(device);
  return m;
}

SequenceBatch batch() {
  model::ByteTokenizer tok;
  auto b = make_batch(tok, {{"Q: 2+3?\nA: ", "5\n"}, {"the cat ", "sat on the mat"}, {"abc", "defgh"}}, true, 64);
  b.noise_keys = torch::tensor({101, 202, 303}, torch::kLong);
  return b;
}

double relative(const torch::Tensor& a, const torch::Tensor& b) {
  auto x = a.detach().cpu().to(torch::kDouble), y = b.detach().cpu().to(torch::kDouble);
  return (x - y).abs().max().item<double>() / std::max(y.abs().max().item<double>(), 1e-12);
}

// One step on each device: losses and every trainable gradient within `tolerance` (relative to its largest entry).
void expect_same_step(const std::string& router, bool bf16_on_gpu, double tolerance) {
  auto cpu = adapted(router, /*bf16=*/false, torch::kCPU), gpu = adapted(router, bf16_on_gpu, torch::kCUDA);
  if (bf16_on_gpu) {  // the CPU reference holds the same bfloat16-rounded matrices, in float32
    torch::NoGradGuard no_grad;
    for (auto& p : cpu.model->base_parameters())
      if (p.dim() == 2) p.copy_(p.to(torch::kBFloat16).to(torch::kFloat32));
  }
  const std::int64_t samples = cpu.mixture.needs_policy_gradient ? 4 : 1;
  adapter::RoutingTrace tc, tg;
  auto b = batch();
  torch::Tensor logits_cpu, logits_gpu;
  {
    torch::NoGradGuard no_grad;
    logits_cpu = cpu.model->forward(b.inputs, b.routing(false));
    logits_gpu = gpu.model->forward(b.to(torch::kCUDA).inputs, b.to(torch::kCUDA).routing(false));
  }
  ASSERT_TRUE(logits_gpu.is_cuda());
  // Real tokens only: the CPU forward computes on packed rows and leaves padding cells zero (model/packed_rows.h).
  auto real = b.valid_mask.unsqueeze(-1);
  EXPECT_LT(relative(logits_gpu.cpu() * real, logits_cpu * real), tolerance) << router << ": logits";
  auto rc = forward_backward(cpu, b, samples, Estimator::Rloo, tc);
  auto rg = forward_backward(gpu, b, samples, Estimator::Rloo, tg);
  ASSERT_TRUE(rg.loss.is_cuda()) << "the step's loss was read back to the host";
  EXPECT_LT(relative(rg.loss, rc.loss), tolerance) << router << ": loss";
  EXPECT_LT(relative(rg.router_loss, rc.router_loss), bf16_on_gpu ? 1.0 : 1e-2) << router << ": router loss";
  auto pc = cpu.trainable(), pg = gpu.trainable();
  ASSERT_EQ(pc.size(), pg.size());
  auto routers = cpu.mixture.router_parameters();
  auto is_router = [&](const torch::Tensor& t) {
    return std::any_of(routers.begin(), routers.end(), [&](const torch::Tensor& r) { return r.is_same(t); });
  };
  for (std::size_t i = 0; i < pc.size(); ++i) {
    const auto &gc = pc[i].second.grad(), &gg = pg[i].second.grad();
    ASSERT_EQ(gc.defined(), gg.defined()) << pc[i].first;
    if (!gc.defined()) continue;
    EXPECT_EQ(gg.scalar_type(), torch::kFloat32) << pc[i].first;
    // ReMix's router gradient is an RLOO estimate from loss differences: looser where the frozen products round.
    const bool rloo_router = cpu.mixture.needs_policy_gradient && is_router(pc[i].second);
    EXPECT_LT(relative(gg, gc), rloo_router && bf16_on_gpu ? 0.5 : tolerance) << router << ": " << pc[i].first;
  }
}

TEST(CudaStep, SoftmaxStepOnTheGpuEqualsTheCpuStep) {
  REMIX_REQUIRE_CUDA();
  expect_same_step("softmax", false, 1e-4);
}

TEST(CudaStep, ReMixStepOnTheGpuSamplesTheSameRoutingAndEqualsTheCpuStep) {
  REMIX_REQUIRE_CUDA();
  expect_same_step("remix", false, 1e-4);
}

TEST(CudaStep, Bfloat16FrozenProductsStayWithinBfloat16OfTheFloat32Step) {
  REMIX_REQUIRE_CUDA();
  expect_same_step("softmax", true, 3e-2);
  expect_same_step("remix", true, 3e-2);
}

TEST(TrainStep, PendingScalarsAreTakenInOneCopyAndNameTheFirstNonFiniteStep) {
  // Runs on the CPU too: the pending scalars are device-agnostic.
  const auto device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  auto scalar = [&](double v) { return torch::tensor(v, torch::TensorOptions().dtype(torch::kDouble).device(device)); };
  PendingSteps pending;
  for (int step = 0; step < 3; ++step) {
    StepLosses l{scalar(1.0 + step), scalar(0.5), scalar(0.0), scalar(0.25), 10};
    pending.add(step, l, scalar(2.0 * step));
  }
  auto taken = pending.take();
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[2].step, 2);
  EXPECT_DOUBLE_EQ(taken[2].loss, 3.0);
  EXPECT_DOUBLE_EQ(taken[2].grad_norm, 4.0);
  EXPECT_DOUBLE_EQ(taken[1].advantage_variance, 0.25);
  EXPECT_TRUE(pending.take().empty());
  pending.add(7, {scalar(1.0), scalar(0.5), scalar(0.0), scalar(0.0), 1}, scalar(1.0));
  pending.add(8, {scalar(std::nan("")), scalar(0.5), scalar(0.0), scalar(0.0), 1}, scalar(1.0));
  pending.add(9, {scalar(1.0), scalar(INFINITY), scalar(0.0), scalar(0.0), 1}, scalar(1.0));
  try {
    pending.take();
    FAIL() << "a NaN loss was taken";
  } catch (const NonFiniteLoss& e) {
    EXPECT_NE(std::string(e.what()).find("loss is not finite at step 8"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace remix::train
