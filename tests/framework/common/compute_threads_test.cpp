// The thread split of common/compute_threads.h: with OpenBLAS's OpenMP build (which the build links when
// libopenblas0-openmp is installed) LibTorch and BLAS share one pool of every thread; with the pthread build the
// cores go to BLAS and LibTorch keeps one.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "common/compute_threads.h"
#include "common/machine.h"

namespace remix {
namespace {

int openblas_threads() {
  auto fn = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return fn ? fn() : -1;
}

TEST(ComputeThreads, TheBuildLoadsOpenBlasOpenMpBuildWhenItIsInstalled) {
  const std::string dir = REMIX_OPENMP_BLAS;
  if (dir.empty()) GTEST_SKIP() << "this build found no libopenblas0-openmp (or uses another LibTorch)";
  // The RPATH must win over the system's libblas.so.3 alternative (the pthread build on a default Debian).
  EXPECT_EQ(machine::blas_library().rfind(dir, 0), 0u) << machine::blas_library();
  EXPECT_EQ(blas_threading(), BlasThreading::OpenMP);
  EXPECT_NE(machine::summary().find("OpenMP threads"), std::string::npos) << machine::summary();
}

TEST(ComputeThreads, EachBlasBuildGetsItsSplit) {
  set_compute_threads(2);
  EXPECT_EQ(compute_threads(), 2);
  switch (blas_threading()) {
    case BlasThreading::OpenMP:  // one pool: both at 2
      EXPECT_EQ(torch::get_num_threads(), 2);
      EXPECT_EQ(openblas_threads(), 2);
      break;
    case BlasThreading::Pthreads:  // two pools: BLAS gets the cores, LibTorch one thread
      EXPECT_EQ(torch::get_num_threads(), 1);
      EXPECT_EQ(openblas_threads(), 2);
      break;
    default:
      EXPECT_EQ(torch::get_num_threads(), 2);
  }
  set_compute_threads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
}

}  // namespace
}  // namespace remix
