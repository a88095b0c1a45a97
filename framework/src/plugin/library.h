// One plugin shared library, loaded with Boost.DLL and checked: the entry point exists, its ABI version and
// build fingerprint match the host's, and its descriptor is sane. Every object it creates holds a reference to
// the library, so the code behind an object's virtual functions stays loaded while the object lives.
#pragma once

#include <boost/dll/shared_library.hpp>

#include <functional>
#include <memory>
#include <string>

#include "config/validate.h"
#include "remix/plugin.h"

namespace remix::plugin {

class PluginLibrary : public std::enable_shared_from_this<PluginLibrary> {
 public:
  // Throws PluginError naming `path`: missing file, not loadable (with the loader's message), no entry point,
  // other ABI version or fingerprint (both values shown), malformed descriptor.
  static std::shared_ptr<PluginLibrary> open(const std::string& path);

  const PluginDescriptor& descriptor() const { return *descriptor_; }
  const std::string& path() const { return path_; }
  std::string name() const { return descriptor_->name; }
  PluginKind kind() const { return descriptor_->kind; }
  std::string version() const { return descriptor_->version; }
  std::string sha256() const;  // of the .so file, computed once
  RouterTraits router_traits() const { return descriptor_->router_traits; }
  config::PluginSchema schema() const;

  // Instantiate through the plugin's factory; a throwing factory becomes a PluginError naming the plugin.
  std::shared_ptr<Router> create_router(const Params& params, const RouterContext& context) const;
  std::shared_ptr<Task> create_task(const Params& params, const TaskContext& context) const;
  // The plugin's parameters at their schema defaults (what a config block naming only the plugin resolves to).
  Params default_params() const;
  // create_router with fixed parameters, as the callback adapter::attach_mixture takes (one router per site).
  std::function<std::shared_ptr<Router>(const RouterContext&)> router_factory(Params params) const;

 private:
  PluginLibrary() = default;
  std::string path_;
  boost::dll::shared_library library_;
  const PluginDescriptor* descriptor_ = nullptr;
  mutable std::string sha256_;
};

// The host's own fingerprint, for messages and tests.
const char* host_fingerprint();

}  // namespace remix::plugin
