// Thread counts for LibTorch and OpenBLAS (see compute_threads.h).
#include "common/compute_threads.h"

#include <dlfcn.h>

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

void set_compute_threads(int threads) {
  current = threads > 0 ? threads : all_cores();
  if (auto set_blas = openblas_setter()) {
    set_blas(current);
    torch::set_num_threads(1);
  } else {
    torch::set_num_threads(current);
  }
}

int compute_threads() { return current > 0 ? current : all_cores(); }

}  // namespace remix
