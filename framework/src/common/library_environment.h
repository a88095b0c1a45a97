// Environment variables that the libraries under remix read once, as they load, before main() can change anything.
// remix's binaries re-execute themselves once at the start of main where one must be set (the BLAS kernel below).
// - libgomp's spin (GOMP_SPINCOUNT) is left to the user: idle OpenMP threads spin ~300,000 times before they sleep,
//   which is what a process computing alone wants (on a 2-core Xeon a 2-thread training step took 140 ms with a
//   short spin of 300 against 72 with the default), but two multi-threaded processes sharing the cores then wait
//   on each other's spinning threads (3-7x slower on 2 cores). `--jobs N` gives each trial its share of the cores,
//   so they do not share; ctest -j2 runs its tests with GOMP_SPINCOUNT=300 (tests/CMakeLists.txt), and so should
//   anyone starting several multi-threaded remix processes by hand.
// - OpenBLAS's kernel (OPENBLAS_CORETYPE): OpenBLAS 0.3.21 (Debian 12) does not know newer CPUs and falls back to a
//   pre-AVX kernel — on an AVX-512 Xeon (family 6, model 207) it picked Prescott, whose sgemm ran at 32 GFLOP/s
//   against 149 with its Cooperlake kernel (one thread, 1024^3). Where OpenBLAS chose a pre-AVX kernel on a CPU with
//   AVX2 and FMA, remix names the kernel for the CPU's extensions. Left alone when OPENBLAS_CORETYPE is set, and
//   whatever OpenBLAS chose on a CPU it knows (AMD's avx512 parts get Cooperlake or Zen) is kept. A kernel the
//   environment names is used as named, but said: one machine of this kind exported OPENBLAS_CORETYPE=Haswell to
//   every process, on an AMD EPYC (family 26) with AVX-512 where OpenBLAS's own Cooperlake ran sgemm 1.8x as fast
//   (bench_train, 1024^3, two threads) and pretraining 1.45x (one thread); `remix run` and `remix worker` warn,
//   `--version` and the run's tags say where the kernel came from.
#pragma once

#include <set>
#include <string>

namespace remix {

// Sets OPENBLAS_CORETYPE where the list above says and re-executes /proc/self/exe with the same arguments; returns only
// when nothing needed setting (or exec failed: the process runs on with the libraries' own choices).
void reexec_with_library_environment(char** argv);

// The OpenBLAS kernel for a CPU with these /proc/cpuinfo flags: Cooperlake or SkylakeX with AVX-512, Haswell with
// AVX2 and FMA, "" without them.
std::string blas_core_for_cpu(const std::set<std::string>& cpu_flags);

// The OpenBLAS kernel to ask for on a CPU with these /proc/cpuinfo flags when OpenBLAS chose `detected`, or "" to
// keep OpenBLAS's choice (it chose a kernel with AVX, or the CPU lacks AVX2/FMA).
std::string blas_core_override(const std::string& detected, const std::set<std::string>& cpu_flags);

// OPENBLAS_CORETYPE where the environment remix started in set it, or "" (unset, or set by remix's re-execution).
std::string blas_core_from_environment();

// The kernel for the CPU (blas_core_for_cpu) where it uses wider vectors than `running`, or "" (as wide, or a
// kernel name remix does not know).
std::string blas_core_narrower_than_cpu(const std::string& running, const std::set<std::string>& cpu_flags);

// One line for `remix run` / `remix worker` when the environment's OPENBLAS_CORETYPE leaves this CPU's widest
// vectors unused, or "".
std::string blas_core_warning();

// What OpenBLAS had chosen itself when remix asked for another kernel in this process, or "" when it did not.
std::string blas_core_detected();

}  // namespace remix
