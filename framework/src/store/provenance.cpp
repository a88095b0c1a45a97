// Provenance facts for the tags table (see provenance.h).
#include "store/provenance.h"

#include <sqlite3.h>
#include <sys/utsname.h>
#include <torch/version.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/build_info.h"
#include "common/sha256.h"
#include "remix/plugin.h"

namespace remix::store {

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

std::string loaded_blas() {
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
  return "unknown";
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
  t["blas"] = loaded_blas();
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
