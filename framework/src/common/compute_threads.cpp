// Thread counts for LibTorch and OpenBLAS (see compute_threads.h).
#include "common/compute_threads.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

#include <algorithm>
#include <thread>

#include <torch/torch.h>

namespace remix {

namespace {

int all_cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }
int current = 0;

// OpenBLAS's setter, looked up at run time: LibTorch reaches BLAS through the libblas.so.3 alternative, which
// may be another implementation.
using SetBlasThreads = void (*)(int);
SetBlasThreads openblas_setter() {
  static auto fn = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return fn;
}

}  // namespace

BlasThreading blas_threading() {
  using GetParallel = int (*)();
  static auto fn = reinterpret_cast<GetParallel>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
  if (!fn) return BlasThreading::NotOpenBlas;
  switch (fn()) {  // OpenBLAS's codes: 0 sequential, 1 pthreads, 2 OpenMP
    case 1: return BlasThreading::Pthreads;
    case 2: return BlasThreading::OpenMP;
    default: return BlasThreading::Sequential;
  }
}

const char* blas_threading_name(BlasThreading t) {
  switch (t) {
    case BlasThreading::OpenMP: return "OpenMP";
    case BlasThreading::Pthreads: return "pthreads";
    case BlasThreading::Sequential: return "sequential";
    default: return "not OpenBLAS";
  }
}

void set_compute_threads(int threads) {
  current = threads > 0 ? threads : all_cores();
  auto set_blas = openblas_setter();
  if (blas_threading() == BlasThreading::OpenMP) {  // one pool: OpenBLAS follows omp_get_max_threads
    if (set_blas) set_blas(current);
    torch::set_num_threads(current);
  } else if (set_blas) {
    set_blas(current);
    torch::set_num_threads(1);
  } else {
    torch::set_num_threads(current);
  }
}

int compute_threads() { return current > 0 ? current : all_cores(); }

}  // namespace remix
