// Provenance facts for the tags table (see provenance.h).
#include "store/provenance.h"

#include <sqlite3.h>
#include <sys/utsname.h>
#include <torch/version.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/build_info.h"
#include "common/compute_threads.h"
#include "common/library_environment.h"
#include "common/machine.h"
#include "common/sha256.h"
#include "remix/plugin.h"

namespace remix::store {

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

std::map<std::string, std::string> provenance_tags() {
  std::map<std::string, std::string> t;
  t["remix.version"] = build_info::version();
  t["remix.git_rev"] = build_info::git_rev();
  t["remix.git_dirty"] = build_info::git_dirty() ? "true" : "false";
  t["remix.build_type"] = build_info::build_type();
  t["remix.fingerprint"] = REMIX_BUILD_FINGERPRINT;
  t["torch.version"] = TORCH_VERSION;
  t["sqlite.version"] = sqlite3_libversion();
  t["blas"] = machine::blas_library();
  t["blas.core"] = machine::blas_core();  // the kernel OpenBLAS runs on this CPU
  if (auto detected = blas_core_detected(); !detected.empty())
    t["blas.core_detected"] = detected;  // what OpenBLAS chose before remix asked for blas.core
  if (auto named = blas_core_from_environment(); !named.empty())
    t["blas.core_from_environment"] = named;  // OPENBLAS_CORETYPE as the user's environment set it
  t["blas.threading"] = blas_threading_name(blas_threading());  // OpenMP shares LibTorch's pool, pthreads does not
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  t["openmp.spincount"] = spin ? spin : "default";
  t["cpu.model"] = machine::cpu_model();
  t["cpu.id"] = machine::cpu_id();  // tells apart CPUs a virtual machine gives the same model name
  t["cpu.features"] = machine::cpu_features();
  t["host"] = host_name();
  struct utsname u;
  if (uname(&u) == 0) t["os"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
  t["cpus"] = std::to_string(sysconf(_SC_NPROCESSORS_ONLN));
  return t;
}

std::map<std::string, std::string> config_file_tags(const std::string& path) {
  std::map<std::string, std::string> t;
  std::error_code ec;
  t["config.file"] = std::filesystem::absolute(path, ec).lexically_normal().string();
  t["config.sha256"] = sha256_file_hex(path);
  return t;
}

}  // namespace remix::store
