// Machine facts (see machine.h).
#include "common/machine.h"

#include "common/compute_threads.h"
#include "common/library_environment.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <ATen/Version.h>

namespace remix::machine {

namespace {

// The value of the first "key : value" line of /proc/cpuinfo with this key.
std::string cpuinfo(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto name = line.substr(0, colon);
    name.erase(name.find_last_not_of(" \t") + 1);
    if (name != key) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    return value;
  }
  return "";
}

}  // namespace

std::string cpu_model() {
  auto model = cpuinfo("model name");
  return model.empty() ? "unknown" : model;
}

std::string cpu_id() {
  auto vendor = cpuinfo("vendor_id");
  auto family = cpuinfo("cpu family");
  auto model = cpuinfo("model");
  if (vendor.empty() && family.empty() && model.empty()) return "unknown";
  auto stepping = cpuinfo("stepping");
  return vendor + " family " + family + " model " + model + (stepping.empty() ? "" : " stepping " + stepping);
}

std::set<std::string> cpu_flags() {
  std::istringstream flags(cpuinfo("flags"));
  std::set<std::string> present;
  for (std::string f; flags >> f;) present.insert(f);
  return present;
}

std::string cpu_features() {
  auto present = cpu_flags();
  std::string out;
  for (const char* f : {"amx_tile", "avx512_bf16", "avx512_vnni", "avx512f", "avx2", "fma", "avx"})
    if (present.count(f)) out += (out.empty() ? "" : " ") + std::string(f);
  return out;
}

std::string blas_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    auto base = std::filesystem::path(path).filename().string();
    if (base.rfind("libblas", 0) == 0 || base.rfind("libopenblas", 0) == 0 || base.rfind("libmkl", 0) == 0) {
      std::error_code ec;
      auto real = std::filesystem::canonical(path, ec);
      return ec ? path : real.string();
    }
  }
  auto built_with = blas_from_build_settings(at::show_config());
  return built_with.empty() ? "unknown" : built_with + ", inside LibTorch";
}

std::string blas_from_build_settings(const std::string& show_config) {
  const std::string key = "BLAS_INFO=";
  auto found = show_config.find(key);
  if (found == std::string::npos) return "";
  auto start = found + key.size();
  auto end = show_config.find_first_of(", \n", start);
  return show_config.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string blas_core() {
  // Looked up at run time, as compute_threads.cpp looks up OpenBLAS's thread setter: LibTorch reaches BLAS
  // through the libblas.so.3 alternative, which may be another implementation.
  using CoreName = char* (*)();
  auto fn = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  const char* name = fn ? fn() : nullptr;
  return name && *name ? name : "unknown";
}

std::string summary() {
  auto features = cpu_features();
  auto detected = blas_core_detected();
  auto core = blas_core();
  std::string origin;
  if (!detected.empty()) {
    origin = " (asked for; OpenBLAS chose " + detected + ")";
  } else if (!blas_core_from_environment().empty()) {
    auto wider = blas_core_narrower_than_cpu(core, cpu_flags());
    origin = " (OPENBLAS_CORETYPE from the environment" + (wider.empty() ? "" : "; the CPU's own: " + wider) + ")";
  }
  return "CPU " + cpu_model() + " [" + cpu_id() + "]" + (features.empty() ? "" : " (" + features + ")") + ", " +
         std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores; BLAS " + blas_library() + ", kernel " + core +
         origin + ", " + blas_threading_name(blas_threading()) + " threads";
}

}  // namespace remix::machine
