// Environment variables that the libraries under remix read once, as they load, before main() can change anything:
// remix's binaries re-execute themselves once at the start of main with them set.
// - libgomp's spin (GOMP_SPINCOUNT): idle OpenMP threads spin ~300,000 times before they sleep; two processes sharing
//   the cores (ctest -j2, `--jobs 2`) then wait on each other's spinning threads, measured 3-7x slower on 2 cores.
//   With 300, 1.0-1.1x alone and as fast as passive waiting when shared. Left alone when GOMP_SPINCOUNT or
//   OMP_WAIT_POLICY is set.
// - OpenBLAS's kernel (OPENBLAS_CORETYPE): OpenBLAS 0.3.21 (Debian 12) does not know newer CPUs and falls back to a
//   pre-AVX kernel — on an AVX-512 Xeon (family 6, model 207) it picked Prescott, whose sgemm ran at 32 GFLOP/s
//   against 149 with its Cooperlake kernel (one thread, 1024^3). Where OpenBLAS chose a pre-AVX kernel on a CPU with
//   AVX2 and FMA, remix names the kernel for the CPU's extensions. Left alone when OPENBLAS_CORETYPE is set, and
//   whatever OpenBLAS chose on a CPU it knows (AMD's avx512 parts get Cooperlake or Zen) is kept.
#pragma once

#include <set>
#include <string>

namespace remix {

inline constexpr const char* kOpenMpSpinCount = "300";

// Sets what the list above says where needed and re-executes /proc/self/exe with the same arguments; returns only
// when nothing needed setting (or exec failed: the process runs on with the libraries' own choices).
void reexec_with_library_environment(char** argv);

// The OpenBLAS kernel to ask for on a CPU with these /proc/cpuinfo flags when OpenBLAS chose `detected`, or "" to
// keep OpenBLAS's choice (it chose a kernel with AVX, or the CPU lacks AVX2/FMA).
std::string blas_core_override(const std::string& detected, const std::set<std::string>& cpu_flags);

// What OpenBLAS had chosen itself when remix asked for another kernel in this process, or "" when it did not.
std::string blas_core_detected();

}  // namespace remix
