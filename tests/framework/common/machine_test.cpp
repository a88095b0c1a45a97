// Machine facts: the CPU model is /proc/cpuinfo's, the features are a subset of its flags, and where OpenBLAS is
// the BLAS this process loaded (LibTorch's, through libblas.so.3), the kernel it chose is named.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/machine.h"

namespace remix::machine {
namespace {

std::string proc_cpuinfo() {
  std::ifstream in("/proc/cpuinfo");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Machine, CpuModelAndFeaturesComeFromProcCpuinfo) {
  auto info = proc_cpuinfo();
  if (info.empty()) GTEST_SKIP() << "no /proc/cpuinfo on this system";
  auto model = cpu_model();
  if (info.find("model name") != std::string::npos) {
    EXPECT_NE(model, "unknown");
    EXPECT_NE(info.find(model), std::string::npos) << model;
  }
  std::istringstream features(cpu_features());
  for (std::string f; features >> f;) EXPECT_NE(info.find(" " + f), std::string::npos) << f;
}

// Two CPU generations of one cloud both called themselves "Intel(R) Xeon(R) Processor" (family 6, models 207 and
// 167): the model name alone could not tell their runs apart.
TEST(Machine, CpuIdNamesVendorFamilyAndModel) {
  auto info = proc_cpuinfo();
  if (info.find("cpu family") == std::string::npos) GTEST_SKIP() << "no x86 /proc/cpuinfo on this system";
  auto id = cpu_id();
  EXPECT_NE(id.find(" family "), std::string::npos) << id;
  EXPECT_NE(id.find(" model "), std::string::npos) << id;
  auto vendor = id.substr(0, id.find(' '));
  EXPECT_NE(info.find(vendor), std::string::npos) << id;
  EXPECT_NE(summary().find("[" + id + "]"), std::string::npos) << summary();
}

// PyPI's LibTorch carries MKL inside libtorch_cpu: no BLAS library of its own in the process maps, so its build
// settings name it (a 2.x benchmark printed "BLAS unknown" before).
TEST(Machine, BlasFromBuildSettingsReadsBlasInfo) {
  EXPECT_EQ(blas_from_build_settings("  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, USE_CUDA=ON"), "mkl");
  EXPECT_EQ(blas_from_build_settings("BUILD_TYPE=Release, BLAS_INFO=open\n"), "open");
  EXPECT_EQ(blas_from_build_settings("  - Build settings: BUILD_TYPE=Release"), "");
}

TEST(Machine, OpenBlasNamesItsKernel) {
  auto library = blas_library();
  EXPECT_NE(summary().find("BLAS " + library), std::string::npos) << summary();
  if (library.find("openblas") == std::string::npos) GTEST_SKIP() << "the BLAS loaded is not OpenBLAS: " << library;
  EXPECT_NE(blas_core(), "unknown");
  EXPECT_NE(summary().find("kernel " + blas_core()), std::string::npos) << summary();
}

}  // namespace
}  // namespace remix::machine
