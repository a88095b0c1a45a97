// Where and on how many cores a trial computes (`runtime.*`). `cpu`; `cuda` / `cuda:N`, a GPU, with a LibTorch
// built with CUDA (./setup.sh --torch pip); `auto`, the first GPU when this LibTorch sees one, the CPU otherwise.
// A device this build or machine cannot give is refused, naming what is missing, never silently replaced.
#pragma once

#include <string>

#include "config/resolved_config.h"

namespace remix::trial {

// The device the config asks for (cpu, auto, cuda, cuda:N), resolved ("cpu" or "cuda:N"); otherwise a ConfigError
// naming runtime.device and what is missing: a CUDA build of LibTorch, a CUDA device, that device. Checked when a
// sweep is registered and again when its trial starts (on the machine that runs it).
std::string resolve_device(const config::ResolvedConfig& cfg);
// Only that runtime.device is one of those spellings: for trials planned on a machine other than the one that will
// run them (`remix slurm` on a login node without GPUs).
void check_device_spelling(const config::ResolvedConfig& cfg);

// The device of one rank of a data-parallel trial (resolve_device's for a single process): each GPU rank takes the
// GPU of its local rank, cuda:LOCAL_RANK, as torchrun does; a pinned cuda:N with several ranks, or more local ranks
// than GPUs, is a ConfigError naming runtime.device.
std::string rank_device(const config::ResolvedConfig& cfg, int local_rank, int world_size);

// Sets the trial's compute threads (runtime.threads; 0 = all cores, or the share its worker hands each
// trial) after resolving the device. Returns the device.
std::string set_runtime(const config::ResolvedConfig& cfg);

}  // namespace remix::trial
