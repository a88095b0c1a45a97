// Loading and checking one plugin library (see library.h).
#include "plugin/library.h"

#include <dlfcn.h>

#include <filesystem>

#include <fmt/format.h>

#include "common/sha256.h"
#include "config/typed_value.h"
#include "remix/errors.h"

namespace remix::plugin {

namespace fs = std::filesystem;

const char* host_fingerprint() { return REMIX_BUILD_FINGERPRINT; }

std::shared_ptr<PluginLibrary> PluginLibrary::open(const std::string& path) {
  if (!fs::exists(path)) throw PluginError(fmt::format("plugin library not found: {}", path));
  if (!fs::is_regular_file(path)) throw PluginError(fmt::format("plugin path is not a file: {}", path));

  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = fs::absolute(path).lexically_normal().string();
  std::error_code ec;
  lib->library_.load(lib->path_, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (ec || !lib->library_.is_loaded()) {
    const char* why = dlerror();  // Boost.DLL leaves dlopen's message in place on failure
    throw PluginError(fmt::format("cannot load plugin {}: {}", lib->path_, why ? why : ec.message()));
  }
  if (!lib->library_.has(REMIX_PLUGIN_ENTRY_SYMBOL))
    throw PluginError(fmt::format("{} is not a remix plugin: it exports no '{}' entry point (a plugin defines "
                                  "it with REMIX_ROUTER_PLUGIN or REMIX_TASK_PLUGIN)",
                                  lib->path_, REMIX_PLUGIN_ENTRY_SYMBOL));
  auto entry = lib->library_.get<const PluginDescriptor*()>(REMIX_PLUGIN_ENTRY_SYMBOL);
  const PluginDescriptor* d = entry();
  if (!d) throw PluginError(fmt::format("{}: its entry point returned no descriptor", lib->path_));
  if (d->abi_version != REMIX_PLUGIN_ABI_VERSION)
    throw PluginError(fmt::format("{}: plugin ABI version {} does not match this remix's ABI version {}; rebuild the "
                                  "plugin against this remix's SDK",
                                  lib->path_, d->abi_version, REMIX_PLUGIN_ABI_VERSION));
  std::string theirs = d->fingerprint ? d->fingerprint : "(none)";
  if (theirs != REMIX_BUILD_FINGERPRINT)
    throw PluginError(fmt::format("{}: plugin was built for '{}', this remix is '{}'; rebuild the plugin with the "
                                  "same SDK, LibTorch and compiler",
                                  lib->path_, theirs, REMIX_BUILD_FINGERPRINT));
  bool kind_ok = (d->kind == PluginKind::Router && d->create_router) || (d->kind == PluginKind::Task && d->create_task);
  if (!d->name || !*d->name || !d->version || !kind_ok || (d->params.count && !d->params.specs))
    throw PluginError(fmt::format("{}: malformed plugin descriptor (name, version, kind and factory must be set)",
                                  lib->path_));
  lib->descriptor_ = d;
  return lib;
}

std::string PluginLibrary::sha256() const {
  if (sha256_.empty()) sha256_ = sha256_file_hex(path_);
  return sha256_;
}

config::PluginSchema PluginLibrary::schema() const {
  config::PluginSchema s;
  s.name = descriptor_->name;
  s.kind = descriptor_->kind;
  s.version = descriptor_->version;
  s.path = path_;
  s.params.assign(descriptor_->params.specs, descriptor_->params.specs + descriptor_->params.count);
  s.library = shared_from_this();
  s.router_traits = descriptor_->router_traits;
  return s;
}

namespace {

// Runs a plugin factory; any exception becomes a PluginError that names the plugin and its library.
template <class Fn>
auto call_factory(const PluginLibrary& lib, Fn&& fn) -> decltype(fn()) {
  try {
    auto* p = fn();
    if (!p) throw std::runtime_error("factory returned null");
    return p;
  } catch (const std::exception& e) {
    throw PluginError(fmt::format("{} plugin '{}' ({}) failed to start: {}", plugin_kind_name(lib.kind()), lib.name(),
                                  lib.path(), e.what()));
  } catch (...) {
    throw PluginError(fmt::format("{} plugin '{}' ({}) failed to start: unknown exception",
                                  plugin_kind_name(lib.kind()), lib.name(), lib.path()));
  }
}

}  // namespace

std::shared_ptr<Router> PluginLibrary::create_router(const Params& params, const RouterContext& context) const {
  if (kind() != PluginKind::Router)
    throw PluginError(fmt::format("plugin '{}' ({}) is a {} plugin, not a router", name(), path_,
                                  plugin_kind_name(kind())));
  Router* r = call_factory(*this, [&] { return descriptor_->create_router(params, context); });
  auto keep_loaded = shared_from_this();
  return std::shared_ptr<Router>(r, [keep_loaded](Router* p) { delete p; });
}

Params PluginLibrary::default_params() const {
  Params p;
  for (std::uint32_t i = 0; i < descriptor_->params.count; ++i) {
    const auto& spec = descriptor_->params.specs[i];
    if (spec.default_value) p.set(spec.name, config::to_param_value(spec, config::default_json(spec)));
  }
  return p;
}

std::function<std::shared_ptr<Router>(const RouterContext&)> PluginLibrary::router_factory(Params params) const {
  auto self = shared_from_this();
  return [self, params = std::move(params)](const RouterContext& context) {
    return self->create_router(params, context);
  };
}

std::shared_ptr<Task> PluginLibrary::create_task(const Params& params, const TaskContext& context) const {
  if (kind() != PluginKind::Task)
    throw PluginError(fmt::format("plugin '{}' ({}) is a {} plugin, not a task", name(), path_,
                                  plugin_kind_name(kind())));
  Task* t = call_factory(*this, [&] { return descriptor_->create_task(params, context); });
  auto keep_loaded = shared_from_this();
  return std::shared_ptr<Task>(t, [keep_loaded](Task* p) { delete p; });
}

}  // namespace remix::plugin
