// The trial's device and threads (see runtime.h).
#include "trial/runtime.h"

#include <torch/torch.h>

#include <cstdlib>

#include <fmt/format.h>

#include "common/compute_threads.h"
#include "remix/errors.h"

namespace remix::trial {

std::string resolve_device(const config::ResolvedConfig& cfg) {
  auto device = cfg.get_string("runtime.device");
  if (device == "cpu") return device;
  bool cuda_here = torch::cuda::is_available();
  if (device == "auto" && !cuda_here) return "cpu";
  throw ConfigError(fmt::format(
      "runtime.device: {} asks for {}, but remix trains on the CPU only: no code moves a model to a GPU yet{}; set "
      "runtime.device: cpu",
      device, device == "auto" ? "the GPU this machine has" : "a GPU",
      cuda_here ? "" : " (and this LibTorch sees no CUDA device: Debian's libtorch-dev is CPU-only)"));
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
