// The environment remix's binaries give the libraries they load (common/library_environment.h): OpenBLAS's kernel
// is named by the CPU's extensions only where OpenBLAS fell back to a pre-AVX kernel, a kernel the user names is
// kept but said (by `remix --version`, the run's tags and a warning where the CPU has wider vectors), and `remix
// --version` says which kernel runs (and what OpenBLAS had chosen, where remix asked for another).
#include "common/library_environment.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/machine.h"
#include "store/query.h"
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

TEST(LibraryEnvironment, AKernelIsNarrowerThanTheCpuWhereTheCpuHasWiderVectors) {
  EXPECT_EQ(blas_core_narrower_than_cpu("Haswell", kAvx512Bf16), "Cooperlake");  // the EPYC of family 26
  EXPECT_EQ(blas_core_narrower_than_cpu("Zen", kAvx512Bf16), "Cooperlake");
  EXPECT_EQ(blas_core_narrower_than_cpu("Prescott", {"avx", "avx2", "fma"}), "Haswell");
  EXPECT_EQ(blas_core_narrower_than_cpu("SkylakeX", kAvx512Bf16), "");  // as wide (BF16 does not widen sgemm)
  EXPECT_EQ(blas_core_narrower_than_cpu("Haswell", {"avx", "avx2", "fma"}), "");
  EXPECT_EQ(blas_core_narrower_than_cpu("Sandybridge", {"avx"}), "");  // nothing wider to name without AVX2/FMA
  EXPECT_EQ(blas_core_narrower_than_cpu("unknown", kAvx512Bf16), "");  // not OpenBLAS
}

// The environment's OPENBLAS_CORETYPE is the user's only where remix's re-execution did not set it.
TEST(LibraryEnvironment, TheEnvironmentsKernelIsTheUsersUnlessRemixSetIt) {
  ASSERT_EQ(std::getenv("REMIX_OPENBLAS_DETECTED"), nullptr);  // the test binary does not re-execute
  {
    test::ScopedEnv named("OPENBLAS_CORETYPE", "Haswell");
    EXPECT_EQ(blas_core_from_environment(), "Haswell");
    test::ScopedEnv detected("REMIX_OPENBLAS_DETECTED", "Prescott");
    EXPECT_EQ(blas_core_from_environment(), "");
  }
  test::ScopedEnv unnamed("OPENBLAS_CORETYPE", std::nullopt);
  EXPECT_EQ(blas_core_from_environment(), "");
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

// One machine of this kind exported OPENBLAS_CORETYPE=Haswell to every process, on an EPYC with AVX-512: the kernel
// is kept, and said — by `--version`, in the run's tags, and by a warning of `remix run` where the CPU has wider
// vectors.
TEST(LibraryEnvironment, AKernelTheUserNamesIsKeptAndSaid) {
  auto r = test::run_command({test::remix_bin(), "--version"}, {{"OPENBLAS_CORETYPE", "Haswell"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (kernel_line(r.out) == "kernel unknown") GTEST_SKIP() << "the BLAS loaded is not OpenBLAS: " << r.out;
  EXPECT_EQ(kernel_line(r.out).rfind("kernel Haswell (OPENBLAS_CORETYPE from the environment", 0), 0u) << r.out;
  auto wider = blas_core_narrower_than_cpu("Haswell", machine::cpu_flags());
  EXPECT_EQ(r.out.find("the CPU's own: " + wider) != std::string::npos, !wider.empty()) << r.out;

  test::TempDir dir;
  auto db = dir.file("r.db");
  auto cfg = dir.write("exp.yaml", "experiment: {name: k, db: " + db +
                                       "}\nrouter: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n" +
                                       test::tiny_trial_yaml(dir));
  auto run = test::run_command({test::remix_bin(), "--plugin-path", test::test_plugin_dir(), "run", cfg},
                               {{"OPENBLAS_CORETYPE", "Haswell"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto warning = "warning: OPENBLAS_CORETYPE=Haswell in the environment: OpenBLAS runs its Haswell kernel";
  EXPECT_EQ(run.err.find(warning) != std::string::npos, !wider.empty()) << run.err;
  auto tags = store::query_readonly(db, "SELECT value FROM tags WHERE key = 'blas.core_from_environment'").rows;
  ASSERT_FALSE(tags.empty());
  for (const auto& tag : tags) EXPECT_EQ(store::to_text(tag[0]), "Haswell");
}

}  // namespace
}  // namespace remix
