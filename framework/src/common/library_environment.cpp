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

}  // namespace

std::string blas_core_override(const std::string& detected, const std::set<std::string>& cpu_flags) {
  if (!kPreAvxKernels.count(detected)) return "";
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

std::string blas_core_detected() {
  const char* detected = std::getenv(kDetectedVariable);
  return detected ? detected : "";
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
