// Environment the loaded libraries read at load time, set by one re-execution (see library_environment.h).
#include "common/library_environment.h"

#include <unistd.h>

#include <cstdlib>

#include "common/machine.h"

namespace remix {

namespace {

// Tells the re-executed process what OpenBLAS had detected, for its provenance and benchmark lines.
constexpr const char* kDetectedVariable = "REMIX_OPENBLAS_DETECTED";

// OpenBLAS kernels without AVX: what its detection falls back to for a CPU model it does not know.
const std::set<std::string> kPreAvxKernels = {"Katmai",  "Coppermine",    "Northwood",  "Prescott", "Banias",
                                              "Core2",   "Penryn",        "Dunnington", "Nehalem",  "Atom",
                                              "Opteron", "Opteron(SSE3)", "Barcelona",  "Bobcat",   "Nano"};

// Vector width of a kernel's sgemm: 1 AVX, 2 AVX2 and FMA, 3 AVX-512; 0 pre-AVX; -1 a name not listed here.
int kernel_width(const std::string& kernel) {
  if (kPreAvxKernels.count(kernel)) return 0;
  if (kernel == "Sandybridge") return 1;
  static const std::set<std::string> avx2 = {"Haswell", "Zen", "Bulldozer", "Piledriver", "Steamroller", "Excavator"};
  if (avx2.count(kernel)) return 2;
  static const std::set<std::string> avx512 = {"SkylakeX", "Cooperlake", "SapphireRapids"};
  return avx512.count(kernel) ? 3 : -1;
}

}  // namespace

std::string blas_core_for_cpu(const std::set<std::string>& cpu_flags) {
  auto has = [&](std::initializer_list<const char*> flags) {
    for (const char* f : flags)
      if (!cpu_flags.count(f)) return false;
    return true;
  };
  if (!has({"avx2", "fma"})) return "";
  if (has({"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}))
    return has({"avx512_bf16"}) ? "Cooperlake" : "SkylakeX";
  return "Haswell";
}

std::string blas_core_override(const std::string& detected, const std::set<std::string>& cpu_flags) {
  return kPreAvxKernels.count(detected) ? blas_core_for_cpu(cpu_flags) : "";
}

std::string blas_core_from_environment() {
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  if (!coretype || !*coretype || std::getenv(kDetectedVariable)) return "";  // unset, or remix's own
  return coretype;
}

std::string blas_core_narrower_than_cpu(const std::string& running, const std::set<std::string>& cpu_flags) {
  auto widest = blas_core_for_cpu(cpu_flags);
  int width = kernel_width(running);
  if (widest.empty() || width < 0 || width >= kernel_width(widest)) return "";
  return widest;
}

std::string blas_core_detected() {
  const char* detected = std::getenv(kDetectedVariable);
  return detected ? detected : "";
}

std::string blas_core_warning() {
  auto named = blas_core_from_environment();
  if (named.empty()) return "";
  auto running = machine::blas_core();
  auto wider = blas_core_narrower_than_cpu(running, machine::cpu_flags());
  if (wider.empty()) return "";
  return "OPENBLAS_CORETYPE=" + named + " in the environment: OpenBLAS runs its " + running +
         " kernel on a CPU whose wider vectors its " + wider + " kernel uses (matrix products up to 2x as fast); "
         "unset OPENBLAS_CORETYPE unless runs must match others made with " + running;
}

void reexec_with_library_environment(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  auto detected = machine::blas_core();
  auto kernel = blas_core_override(detected, machine::cpu_flags());
  if (kernel.empty()) return;
  setenv("OPENBLAS_CORETYPE", kernel.c_str(), 1);
  setenv(kDetectedVariable, detected.c_str(), 1);
  execv("/proc/self/exe", argv);  // only returns on failure
}

}  // namespace remix
