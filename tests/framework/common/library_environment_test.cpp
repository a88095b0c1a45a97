// The environment remix's binaries give the libraries they load (common/library_environment.h): OpenBLAS's kernel
// is named by the CPU's extensions only where OpenBLAS fell back to a pre-AVX kernel, a kernel the user names is
// kept, and `remix --version` says which kernel runs (and what OpenBLAS had chosen, where remix asked for another).
#include "common/library_environment.h"

#include <gtest/gtest.h>

#include "common/machine.h"
#include "support/test_env.h"

namespace remix {
namespace {

const std::set<std::string> kAvx512Bf16 = {"avx",      "avx2",     "fma",      "avx512f",    "avx512cd",
                                           "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"};

TEST(LibraryEnvironment, APreAvxFallbackOnAnAvxCpuGetsTheKernelOfItsExtensions) {
  EXPECT_EQ(blas_core_override("Prescott", kAvx512Bf16), "Cooperlake");  // the Xeon model 207 OpenBLAS 0.3.21 missed
  auto no_bf16 = kAvx512Bf16;
  no_bf16.erase("avx512_bf16");
  EXPECT_EQ(blas_core_override("Prescott", no_bf16), "SkylakeX");
  EXPECT_EQ(blas_core_override("Nehalem", {"avx", "avx2", "fma"}), "Haswell");
  auto partial_avx512 = no_bf16;
  partial_avx512.erase("avx512vl");  // SkylakeX's kernels need all five
  EXPECT_EQ(blas_core_override("Core2", partial_avx512), "Haswell");
}

TEST(LibraryEnvironment, OpenBlasOwnChoiceIsKeptWhereItChoseAnAvxKernelOrTheCpuHasNone) {
  EXPECT_EQ(blas_core_override("Cooperlake", kAvx512Bf16), "");
  EXPECT_EQ(blas_core_override("Zen", kAvx512Bf16), "");      // AMD parts: OpenBLAS's own choice
  EXPECT_EQ(blas_core_override("Haswell", kAvx512Bf16), "");  // a deliberate choice, not a fallback
  EXPECT_EQ(blas_core_override("Prescott", {"avx"}), "");     // no AVX2/FMA: nothing better to name
  EXPECT_EQ(blas_core_override("Prescott", {}), "");
  EXPECT_EQ(blas_core_override("unknown", kAvx512Bf16), "");  // not OpenBLAS
}

std::string kernel_line(const std::string& version_output) {
  auto at = version_output.find("kernel ");
  return at == std::string::npos ? "" : version_output.substr(at, version_output.find(',', at) - at);
}

// The check that would have caught the fallback on this machine: wherever the CPU has AVX2 and FMA, the `remix`
// binary computes with an AVX kernel, whatever OpenBLAS detects.
TEST(LibraryEnvironment, TheRemixBinaryRunsAnAvxKernelOnAnAvxCpu) {
  auto r = test::run_command({"/usr/bin/env", "-u", "OPENBLAS_CORETYPE", test::remix_bin(), "--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto kernel = kernel_line(r.out);
  ASSERT_FALSE(kernel.empty()) << r.out;
  if (kernel == "kernel unknown") GTEST_SKIP() << "the BLAS loaded is not OpenBLAS: " << r.out;
  auto flags = machine::cpu_flags();
  if (!flags.count("avx2") || !flags.count("fma")) GTEST_SKIP() << "this CPU has no AVX2/FMA: " << r.out;
  for (const char* pre_avx : {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Barcelona", "Opteron"})
    EXPECT_NE(kernel.rfind(std::string("kernel ") + pre_avx, 0), 0u) << r.out;
}

TEST(LibraryEnvironment, AKernelTheUserNamesIsKept) {
  auto r = test::run_command({test::remix_bin(), "--version"}, {{"OPENBLAS_CORETYPE", "Haswell"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (kernel_line(r.out) == "kernel unknown") GTEST_SKIP() << "the BLAS loaded is not OpenBLAS: " << r.out;
  EXPECT_EQ(kernel_line(r.out), "kernel Haswell") << r.out;
}

}  // namespace
}  // namespace remix
