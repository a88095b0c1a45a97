// Where and on how many cores a trial computes (`runtime.*`). remix computes on the CPU only: nothing moves a
// model to a GPU yet, so `runtime.device: cuda` is refused rather than silently ignored, and `auto` means the
// CPU where this LibTorch sees no CUDA device (and is refused where it does, since it would mean a GPU).
#pragma once

#include <string>

#include "config/resolved_config.h"

namespace remix::trial {

// The device the config asks for (cpu, auto, cuda, cuda:N), resolved ("cpu"); otherwise a ConfigError naming
// runtime.device and what is missing: a CUDA build of LibTorch, a CUDA device, that device, or (all present) GPU
// training in remix. Checked when a sweep is registered and again when its trial starts (on the machine that runs it).
std::string resolve_device(const config::ResolvedConfig& cfg);

// Sets the trial's compute threads (runtime.threads; 0 = all cores, or the share its worker hands each
// trial) after resolving the device. Returns the device.
std::string set_runtime(const config::ResolvedConfig& cfg);

}  // namespace remix::trial
