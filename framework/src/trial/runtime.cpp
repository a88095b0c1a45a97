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

std::string resolve_device(const config::ResolvedConfig& cfg) {
  auto device = cfg.get_string("runtime.device");
  if (device == "cpu") return device;
  // Built with CUDA: its CUDA library registered a device guard (at load, with or without a GPU or driver).
  const bool cuda_build = c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA);
  const auto gpus = cuda_build ? static_cast<long>(torch::cuda::device_count()) : 0L;
  if (device == "auto") return gpus > 0 ? "cuda:0" : "cpu";
  long index = 0;
  if (device != "cuda") {
    static const std::regex cuda_n(R"(^cuda:(\d{1,4})$)");
    std::smatch m;
    if (!std::regex_match(device, m, cuda_n))
      throw ConfigError(fmt::format("runtime.device: expected cpu, auto, cuda or cuda:N, got '{}'", device));
    index = std::stol(m[1]);
  }
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

std::string set_runtime(const config::ResolvedConfig& cfg) {
  auto device = resolve_device(cfg);
  auto threads = cfg.get_int("runtime.threads");
  // 0 = all cores, or the share a worker running several trials at once hands each of them.
  if (const char* share = std::getenv("REMIX_DEFAULT_THREADS"); threads == 0 && share) threads = std::atoll(share);
  set_compute_threads(static_cast<int>(threads));
  return device;
}

}  // namespace remix::trial
