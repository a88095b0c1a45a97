// Finding python3 interpreters (see python.h).
#include "tasks/code/python.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "remix/errors.h"
#include "tasks/code/process.h"
#include "tasks/common/text.h"

namespace remix::tasks::code {

namespace fs = std::filesystem;

std::vector<std::string> find_on_path(const std::string& name) {
  std::vector<std::string> found;
  auto usable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (usable(name)) found.push_back(fs::absolute(name).string());
    return found;
  }
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "", ':')) {
    if (dir.empty()) continue;
    fs::path candidate = fs::absolute(fs::path(dir) / name);
    if (!usable(candidate)) continue;
    std::string text = candidate.lexically_normal().string();
    bool seen = false;
    for (const auto& f : found) seen = seen || f == text;
    if (!seen) found.push_back(text);
  }
  return found;
}

namespace {

constexpr const char* kQuery =
    "import json, sys; print(json.dumps([sys.executable, sys.version.split()[0], sys.prefix, sys.base_prefix, "
    "sys.exec_prefix]))";

}  // namespace

PythonCandidates find_pythons(const std::string& wanted, const std::string& param_key) {
  std::string name = wanted == "auto" ? "python3" : wanted;
  auto paths = find_on_path(name);
  if (paths.empty()) {
    const char* path = std::getenv("PATH");
    throw EnvironmentError(
        (name.find('/') != std::string::npos
             ? "python interpreter " + name + " does not exist or is not executable"
             : name + " is not installed: it is not on PATH (" + std::string(path ? path : "") + ")") +
        "; the code task runs samples with it. Install it (Debian: apt-get install python3) or set " + param_key +
        " to an interpreter's path");
  }
  PythonCandidates out;
  for (const auto& path : paths) {
    LaunchSpec spec;
    spec.argv = {path, "-c", kQuery};
    spec.env = current_environment();
    spec.limits.wall_seconds = 30;
    spec.limits.cpu_seconds = 0;
    auto r = run_process(spec);
    try {
      if (r.exit_code != 0)
        throw std::runtime_error("exit code " + std::to_string(r.exit_code) + ": " + trim(r.output));
      auto facts = nlohmann::json::parse(r.output.substr(r.output.rfind('[')));
      PythonInterpreter py;
      py.executable = facts.at(0).get<std::string>();
      py.version = facts.at(1).get<std::string>();
      for (std::size_t i = 2; i < facts.size(); ++i) {
        std::string prefix = facts.at(i).get<std::string>();
        bool seen = false;
        for (const auto& p : py.prefixes) seen = seen || p == prefix;
        if (!seen) py.prefixes.push_back(prefix);
      }
      if (py.executable.empty() || py.executable[0] != '/') throw std::runtime_error("it reports no executable");
      out.usable.push_back(py);
    } catch (const std::exception& e) {
      out.rejected.push_back(path + ": does not work as a python3 interpreter (" + e.what() + ")");
    }
  }
  return out;
}

}  // namespace remix::tasks::code
