// The device of each rank of a data-parallel trial (trial::rank_device): CPU ranks share the CPU; GPU ranks each take
// the GPU of their local rank, as torchrun does; a pinned cuda:N with several ranks and more local ranks than GPUs
// are refused naming runtime.device. The cases that need a GPU skip without one (tests/gpu/device_check.sh runs them).
#include <gtest/gtest.h>

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/torch.h>

#include "config/resolved_config.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "support/test_env.h"
#include "trial/runtime.h"

namespace remix::trial {
namespace {

config::ResolvedConfig with_device(const test::TempDir& dir, const std::string& device) {
  auto file = dir.write("exp.yaml", "router: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n");
  return config::resolve(file, config::parse_overrides({"runtime.device=" + device}).fixed,
                         plugin::schema_lookup({test::test_plugin_dir()}));
}

std::string refusal(const config::ResolvedConfig& cfg, int local_rank, int world_size) {
  try {
    rank_device(cfg, local_rank, world_size);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(RankDevice, CpuRanksShareTheCpuAndOneProcessKeepsItsDevice) {
  test::TempDir dir;
  auto cpu = with_device(dir, "cpu");
  EXPECT_EQ(rank_device(cpu, 0, 1), "cpu");
  EXPECT_EQ(rank_device(cpu, 1, 2), "cpu");
  if (torch::cuda::is_available()) return;
  EXPECT_EQ(rank_device(with_device(dir, "auto"), 1, 2), "cpu");  // no GPU: auto is the CPU for every rank
}

TEST(RankDevice, WithoutACudaBuildGpuRanksAreRefusedForTheBuild) {
  if (c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA)) GTEST_SKIP() << "this LibTorch has CUDA";
  test::TempDir dir;
  auto message = refusal(with_device(dir, "cuda"), 1, 2);
  EXPECT_NE(message.find("runtime.device: cuda asks for a GPU, but this build's LibTorch has no CUDA"),
            std::string::npos)
      << message;
}

TEST(RankDevice, GpuRanksTakeTheGpuOfTheirLocalRank) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (tests/gpu/device_check.sh runs this on a GPU)";
  test::TempDir dir;
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  EXPECT_EQ(rank_device(with_device(dir, "cuda"), 0, 2), "cuda:0");
  EXPECT_EQ(rank_device(with_device(dir, "auto"), gpus - 1, gpus + 1), "cuda:" + std::to_string(gpus - 1));
  auto message = refusal(with_device(dir, "cuda"), gpus, gpus + 1);
  EXPECT_NE(message.find("runtime.device: cuda: local rank " + std::to_string(gpus) + " takes cuda:"),
            std::string::npos)
      << message;
  message = refusal(with_device(dir, "cuda:0"), 0, 2);
  EXPECT_NE(message.find("runtime.device: cuda:0 would put all 2 data-parallel ranks on one GPU"), std::string::npos)
      << message;
  EXPECT_EQ(rank_device(with_device(dir, "cuda:0"), 0, 1), "cuda:0");  // one process may pin its GPU
}

}  // namespace
}  // namespace remix::trial
