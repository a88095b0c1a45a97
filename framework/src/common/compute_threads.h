// How many cores a process computes on. Debian's LibTorch runs its own kernels on an OpenMP pool and calls
// OpenBLAS for matrix products. OpenBLAS's pthread build (Debian's default libblas.so.3) keeps a second pool whose
// idle threads spin in sched_yield: with both pools at 2 threads on 2 cores they fight (a training step 2.3x slower
// than on one thread), so there the cores go to BLAS and LibTorch's pool stays at one thread — and everything but
// the products runs on one core (a 2-thread step only 1.2-1.3x faster than 1 thread, a third of it system time).
// OpenBLAS's OpenMP build shares LibTorch's pool, so both get all the cores: measured on a 2-core AMD EPYC, the
// softmax step 96 -> 77 ms, ReMix M=4 520 -> 304 ms. The build links remix's binaries to the OpenMP build when
// libopenblas0-openmp is installed (CMakeLists.txt); this file picks the split for whichever build is loaded.
#pragma once

namespace remix {

// Uses `threads` cores (0 = all of them). Without OpenBLAS (another BLAS behind LibTorch), LibTorch gets them.
void set_compute_threads(int threads);
// The cores set_compute_threads last gave (all of them before any call).
int compute_threads();

// libgomp's idle threads spin ~300,000 times before they sleep: fastest for one process alone, but two processes
// sharing the cores (ctest -j2, two trials started by hand) then wait on each other's spinning threads — measured
// 3-7x slower on 2 cores; with GOMP_SPINCOUNT=300, 1.0-1.1x alone and as fast as passive waiting when shared.
// libgomp reads it once, as it loads, so the `remix` binary re-executes itself once with it set unless the user set
// GOMP_SPINCOUNT or OMP_WAIT_POLICY. Returns only when no re-execution happened (or it failed).
inline constexpr const char* kOpenMpSpinCount = "300";
void reexec_with_short_openmp_spin(char** argv);

// How the loaded OpenBLAS runs its threads (asked at run time: the libblas.so.3 alternative may be anything).
enum class BlasThreading { NotOpenBlas, Sequential, Pthreads, OpenMP };
BlasThreading blas_threading();
const char* blas_threading_name(BlasThreading t);

}  // namespace remix
