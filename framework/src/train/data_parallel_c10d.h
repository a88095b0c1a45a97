// The c10d side of DataParallel, private to data_parallel.cpp and gradient_averager.cpp: which c10d backends this
// build has (the few API differences between LibTorch 1.13 and 2.x that touch c10d are guarded here and nowhere
// else) and the rank group's state. Both sources get the same per-source compile definitions from CMakeLists.txt
// (REMIX_C10D_SOURCES), so they agree on what the group holds.
#pragma once

// Another source including this without the same definitions would see another DataParallel::Impl: a silent
// one-definition-rule break, so it is refused here.
#ifndef REMIX_C10D_SOURCE
#error "data_parallel_c10d.h: add this source to REMIX_C10D_SOURCES in CMakeLists.txt"
#endif

#include <torch/version.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "train/data_parallel.h"

// Gloo's headers come with libgloo-dev for Debian's LibTorch (CMake defines REMIX_NO_GLOO for a LibTorch without
// its own); ProcessGroupGloo.hpp declares its class only under USE_C10D_GLOO.
#if !defined(REMIX_NO_GLOO) && __has_include(<gloo/algorithm.h>) && \
    __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>)
#define REMIX_WITH_GLOO 1
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
// NCCL (GPU ranks): a CUDA LibTorch 2.x defines USE_C10D_NCCL for its users; the nccl.h it was built with must be the
// one seen here (ProcessGroupNCCL::Options' layout depends on it), so CMake points at it or defines REMIX_NO_NCCL.
#if !defined(REMIX_NO_NCCL) && defined(USE_C10D_NCCL) && TORCH_VERSION_MAJOR >= 2 && __has_include(<nccl.h>) && \
    __has_include(<torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>)
#define REMIX_WITH_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#if defined(REMIX_WITH_GLOO) || defined(REMIX_WITH_NCCL)
#define REMIX_WITH_C10D 1
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace remix::train {

#ifdef REMIX_WITH_C10D

// LibTorch 2.x split c10d's ProcessGroup into a dispatcher and per-device Backends (ProcessGroupGloo and
// ProcessGroupNCCL are Backends); in 1.13 ProcessGroupGloo is itself the ProcessGroup. Both have these collectives.
#if TORCH_VERSION_MAJOR >= 2
using CollectiveGroup = c10d::Backend;
#else
using CollectiveGroup = c10d::ProcessGroup;
#endif

struct DataParallel::Impl {
  RendezvousOptions o;
  c10::intrusive_ptr<c10d::TCPStore> store;       // collectives' rendezvous; rank 0 hosts it
  c10::intrusive_ptr<c10d::TCPStore> beat_store;  // the heartbeat thread's own connection
  c10::intrusive_ptr<CollectiveGroup> group;
  torch::Device device{torch::kCPU};  // where the group's tensors live: the host for Gloo, the rank's GPU for NCCL
  std::thread beat;
  std::mutex beat_mutex;
  std::condition_variable beat_wake;
  bool stopping = false;

  ~Impl();  // stops the heartbeat
  void start_heartbeat();
  // Which rank is gone: the one whose heartbeat stopped moving, or rank 0 when its store cannot be reached.
  std::string describe_failure(const std::string& cause);
  // Waits for a collective; its failure becomes RankLost, naming the rank that is gone.
  void wait(const c10::intrusive_ptr<c10d::Work>& work);
};

#else

struct DataParallel::Impl {};

#endif

}  // namespace remix::train
