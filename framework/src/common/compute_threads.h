// How many cores a process computes on. Debian's LibTorch calls OpenBLAS (pthread build) for matrix products
// and runs everything else on its own OpenMP pool; with both pools at 2 threads they spin against each other and
// a 2-core training step ran 2.3x slower than on one thread. Measured at the default model size (dim 128):
// torch 1 + BLAS 2 threads 16.0k tok/s, torch 2 + BLAS 1 13.0k, torch 1 + BLAS 1 12.3k, both 2 5.3k.
// So the cores go to BLAS, and LibTorch's own pool stays at one thread.
#pragma once

namespace remix {

// Uses `threads` cores (0 = all of them). Without OpenBLAS (another BLAS behind LibTorch), LibTorch gets them.
void set_compute_threads(int threads);
// The cores set_compute_threads last gave (all of them before any call).
int compute_threads();

}  // namespace remix
