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

// How the loaded OpenBLAS runs its threads (asked at run time: the libblas.so.3 alternative may be anything).
enum class BlasThreading { NotOpenBlas, Sequential, Pthreads, OpenMP };
BlasThreading blas_threading();
const char* blas_threading_name(BlasThreading t);

}  // namespace remix
