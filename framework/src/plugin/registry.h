// Finding plugins: the search path (config `plugin_paths`, then REMIX_PLUGIN_PATH, then the folders beside
// the remix binary: build/plugins in the build tree, lib/remix/plugins when installed), scanning it for
// libraries, and resolving a plugin block's `plugin:` (a name, or a path to a .so) to a loaded library.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/validate.h"
#include "plugin/library.h"

namespace remix::plugin {

// The folders searched, in order, without duplicates; folders that do not exist are kept (listing says so).
std::vector<std::string> search_path(const std::vector<std::string>& plugin_paths);

class PluginRegistry {
 public:
  struct Entry {
    std::string path;                     // the .so
    std::shared_ptr<PluginLibrary> library;  // null when it could not be used
    std::string error;                    // why not
    bool shadowed = false;                // an earlier folder has a plugin of the same name
  };

  explicit PluginRegistry(std::vector<std::string> dirs);
  const std::vector<std::string>& dirs() const { return dirs_; }

  // Every shared library in every folder, loaded or with its error, in search order.
  const std::vector<Entry>& scan();
  // A plugin by name (first in search order wins) or by path (anything containing '/' or ending in .so).
  // Throws PluginError: unknown name (with the closest name and the folders searched, and any library
  // that could not be read), wrong kind, or the library's own load error.
  std::shared_ptr<PluginLibrary> find(PluginKind kind, const std::string& name_or_path);
  // The same, for a plugin of any kind.
  std::shared_ptr<PluginLibrary> find_any(const std::string& name_or_path);

 private:
  std::shared_ptr<PluginLibrary> open_cached(const std::string& path);
  std::shared_ptr<PluginLibrary> lookup(const std::string& name_or_path, const PluginKind* kind);
  std::vector<std::string> dirs_;
  std::vector<Entry> entries_;
  bool scanned_ = false;
  std::map<std::string, std::shared_ptr<PluginLibrary>> opened_;
};

// A config::PluginSchemaLookup over search_path(first_dirs + the config's plugin_paths); `first_dirs` are
// the command line's --plugin-path folders.
config::PluginSchemaLookup schema_lookup(std::vector<std::string> first_dirs = {});

}  // namespace remix::plugin
