// Plugin search path and lookup (see registry.h).
#include "plugin/registry.h"

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "common/build_info.h"
#include "common/text.h"
#include "remix/errors.h"

namespace remix::plugin {

namespace fs = std::filesystem;

std::vector<std::string> search_path(const std::vector<std::string>& plugin_paths) {
  std::vector<std::string> dirs = plugin_paths;
  if (const char* env = std::getenv("REMIX_PLUGIN_PATH"))
    for (const auto& d : text::split(env, ':'))
      if (!d.empty()) dirs.push_back(d);
  std::error_code ec;
  fs::path exe_dir = fs::path(boost::dll::program_location(ec).string()).parent_path();
  if (!ec) {
    dirs.push_back((exe_dir / "plugins").string());                                   // build tree
    dirs.push_back((exe_dir / ".." / build_info::install_plugin_dir()).lexically_normal().string());  // installed
  }
  dirs.push_back(build_info::plugin_dir());  // test binaries live elsewhere in the build tree
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (const auto& d : dirs) {
    std::string key = fs::weakly_canonical(d, ec).string();
    if (seen.insert(ec ? d : key).second) unique.push_back(d);
  }
  return unique;
}

PluginRegistry::PluginRegistry(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {}

std::shared_ptr<PluginLibrary> PluginRegistry::open_cached(const std::string& path) {
  auto it = opened_.find(path);
  if (it != opened_.end()) return it->second;
  auto lib = PluginLibrary::open(path);
  opened_[path] = lib;
  return lib;
}

const std::vector<PluginRegistry::Entry>& PluginRegistry::scan() {
  if (scanned_) return entries_;
  scanned_ = true;
  std::set<std::string> names;
  for (const auto& dir : dirs_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".so") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      Entry entry;
      entry.path = f;
      try {
        entry.library = open_cached(f);
        entry.shadowed = !names.insert(entry.library->name()).second;
      } catch (const PluginError& e) {
        entry.error = e.what();
      }
      entries_.push_back(std::move(entry));
    }
  }
  return entries_;
}

std::shared_ptr<PluginLibrary> PluginRegistry::lookup(const std::string& name_or_path, const PluginKind* kind) {
  if (name_or_path.find('/') != std::string::npos || text::ends_with(name_or_path, ".so"))
    return open_cached(name_or_path);
  std::vector<std::string> known, broken;
  for (const auto& e : scan()) {
    if (!e.library) {
      broken.push_back(e.error);
      continue;
    }
    if (e.library->name() == name_or_path && !e.shadowed) return e.library;
    if (!kind || e.library->kind() == *kind) known.push_back(e.library->name());
  }
  std::string what = kind ? std::string(plugin_kind_name(*kind)) + " plugin" : "plugin";
  std::string msg = fmt::format("no {} named '{}'{}; known: {}; searched: {} (add folders with plugin_paths or "
                                "REMIX_PLUGIN_PATH)",
                                what, name_or_path, text::did_you_mean(name_or_path, known),
                                known.empty() ? "none" : text::join(known, ", "), text::join(dirs_, ", "));
  for (const auto& b : broken) msg += "\n    unreadable: " + b;
  throw PluginError(msg);
}

std::shared_ptr<PluginLibrary> PluginRegistry::find_any(const std::string& name_or_path) {
  return lookup(name_or_path, nullptr);
}

std::shared_ptr<PluginLibrary> PluginRegistry::find(PluginKind kind, const std::string& name_or_path) {
  auto lib = lookup(name_or_path, &kind);
  if (lib->kind() != kind)
    throw PluginError(fmt::format("plugin '{}' ({}) is a {} plugin, but a {} plugin is needed here", lib->name(),
                                  lib->path(), plugin_kind_name(lib->kind()), plugin_kind_name(kind)));
  return lib;
}

config::PluginSchemaLookup schema_lookup(std::vector<std::string> first_dirs) {
  auto registries = std::make_shared<std::map<std::vector<std::string>, std::shared_ptr<PluginRegistry>>>();
  return [registries, first_dirs](PluginKind kind, const std::string& name,
                                  const std::vector<std::string>& plugin_paths) {
    auto& reg = (*registries)[plugin_paths];
    std::vector<std::string> dirs = first_dirs;
    dirs.insert(dirs.end(), plugin_paths.begin(), plugin_paths.end());
    if (!reg) reg = std::make_shared<PluginRegistry>(search_path(dirs));
    return reg->find(kind, name)->schema();
  };
}

}  // namespace remix::plugin
