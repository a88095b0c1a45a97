// The trial's device and threads (see runtime.h).
#include "trial/runtime.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/torch.h>

#include <cstdlib>
#include <regex>

#include <fmt/format.h>

#include "common/compute_threads.h"
#include "remix/errors.h"

namespace remix::trial {

namespace {

// The GPU index runtime.device names (0 for "cuda"); -1 for cpu and auto. ConfigError for anything else.
long device_index(const std::string& device) {
  if (device == "cpu" || device == "auto") return -1;
  if (device == "cuda") return 0;
  static const std::regex cuda_n(R"(^cuda:(\d{1,4})$)");
  std::smatch m;
  if (!std::regex_match(device, m, cuda_n))
    throw ConfigError(fmt::format("runtime.device: expected cpu, auto, cuda or cuda:N, got '{}'", device));
  return std::stol(m[1]);
}

}  // namespace

void check_device_spelling(const config::ResolvedConfig& cfg) { device_index(cfg.get_string("runtime.device")); }

std::string resolve_device(const config::ResolvedConfig& cfg) {
  auto device = cfg.get_string("runtime.device");
  const long index = device_index(device);
  if (device == "cpu") return device;
  // Built with CUDA: its CUDA library registered a device guard (at load, with or without a GPU or driver).
  const bool cuda_build = c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA);
  const auto gpus = cuda_build ? static_cast<long>(torch::cuda::device_count()) : 0L;
  if (device == "auto") return gpus > 0 ? "cuda:0" : "cpu";
  // What is missing, most basic first: a CUDA build, a device, that device.
  if (!cuda_build)
    throw ConfigError(fmt::format("runtime.device: {} asks for a GPU, but this build's LibTorch has no CUDA (Debian's "
                                  "libtorch-dev is CPU-only; ./setup.sh --torch pip builds on PyPI's CUDA-enabled "
                                  "torch); set runtime.device: cpu",
                                  device));
  if (index >= gpus)
    throw ConfigError(fmt::format("runtime.device: {} asks for CUDA device {}, but this machine has {} CUDA device{}{}",
                                  device, index, gpus, gpus == 1 ? "" : "s",
                                  gpus > 0 ? fmt::format(" (cuda:0..cuda:{})", gpus - 1) : ""));
  return fmt::format("cuda:{}", index);
}

std::string rank_device(const config::ResolvedConfig& cfg, int local_rank, int world_size) {
  auto device = resolve_device(cfg);
  if (world_size <= 1 || device == "cpu") return device;
  const auto asked = cfg.get_string("runtime.device");
  if (asked != "cuda" && asked != "auto")
    throw ConfigError(fmt::format("runtime.device: {} would put all {} data-parallel ranks on one GPU, which NCCL "
                                  "refuses; each rank takes the GPU of its local rank (cuda:LOCAL_RANK): set "
                                  "runtime.device: cuda",
                                  asked, world_size));
  const auto gpus = static_cast<long>(torch::cuda::device_count());
  if (local_rank >= gpus)
    throw ConfigError(fmt::format("runtime.device: {}: local rank {} takes cuda:{}, but this machine has {} CUDA "
                                  "device{}: start at most one rank per GPU on a machine (--nproc, --gpus-per-node)",
                                  asked, local_rank, local_rank, gpus, gpus == 1 ? "" : "s"));
  return fmt::format("cuda:{}", local_rank);
}

std::string set_runtime(const config::ResolvedConfig& cfg) {
  auto device = resolve_device(cfg);
  auto threads = cfg.get_int("runtime.threads");
  // 0 = all cores, or the share a worker running several trials at once hands each of them.
  if (const char* share = std::getenv("REMIX_DEFAULT_THREADS"); threads == 0 && share) threads = std::atoll(share);
  set_compute_threads(static_cast<int>(threads));
  return device;
}

}  // namespace remix::trial
