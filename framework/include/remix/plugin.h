// The plugin ABI: the one C entry point a plugin exports, the descriptor it returns, and the macros that
// build both.
//
// A plugin is a shared library exporting `extern "C" const remix::PluginDescriptor* remix_plugin_entry()`.
// The host reads `abi_version` and `fingerprint` first (their position never changes), refuses the library
// if either differs from its own, and only then reads the rest. The fingerprint records what must match for
// C++ objects (torch tensors, std::string) to cross the boundary: SDK version, LibTorch version, the libstdc++
// string ABI and the compiler. A plugin author writes one of
//
//   REMIX_ROUTER_PLUGIN(MyRouter, "my_router", "1.0.0", "one-line summary", kMyParams)
//   REMIX_TASK_PLUGIN(MyTask, "my_task", "1.0.0", "one-line summary", kMyParams)
//
// where the class has a constructor `(const remix::Params&, const remix::RouterContext&)` (or TaskContext)
// and kMyParams is a static array of remix::ParamSpec (or `remix::no_params`). A router class may declare
// `static constexpr remix::RouterTraits traits` (remix/router.h); the macro puts them in the descriptor, so
// the host knows what the router is without building one.
#pragma once

#include <torch/version.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "remix/errors.h"
#include "remix/params.h"
#include "remix/router.h"
#include "remix/routing.h"
#include "remix/task.h"

// Bump when PluginDescriptor, Router, Task or anything they pass changes layout or meaning.
#define REMIX_PLUGIN_ABI_VERSION 7u
#define REMIX_SDK_VERSION "0.1"
#define REMIX_PLUGIN_ENTRY_SYMBOL "remix_plugin_entry"

#define REMIX_DETAIL_STR2(x) #x
#define REMIX_DETAIL_STR(x) REMIX_DETAIL_STR2(x)
#if defined(__clang__)
#define REMIX_DETAIL_COMPILER "clang-" REMIX_DETAIL_STR(__clang_major__)
#elif defined(__GNUC__)
#define REMIX_DETAIL_COMPILER "gcc-" REMIX_DETAIL_STR(__GNUC__)
#else
#define REMIX_DETAIL_COMPILER "unknown"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define REMIX_DETAIL_CXX11_ABI REMIX_DETAIL_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define REMIX_DETAIL_CXX11_ABI "none"
#endif

// Compiled into both sides; the host compares the plugin's string with its own.
#define REMIX_BUILD_FINGERPRINT                                                                    \
  "sdk=" REMIX_SDK_VERSION ";torch=" REMIX_DETAIL_STR(TORCH_VERSION_MAJOR) "." REMIX_DETAIL_STR( \
      TORCH_VERSION_MINOR) ";cxx11abi=" REMIX_DETAIL_CXX11_ABI ";compiler=" REMIX_DETAIL_COMPILER

namespace remix {

enum class PluginKind : std::uint32_t { Router = 1, Task = 2 };

inline const char* plugin_kind_name(PluginKind k) {
  switch (k) {
    case PluginKind::Router: return "router";
    case PluginKind::Task: return "task";
  }
  return "unknown";
}

// A pointer + count view of a static ParamSpec array.
struct ParamTable {
  const ParamSpec* specs = nullptr;
  std::uint32_t count = 0;
  constexpr ParamTable() = default;
  template <std::size_t N>
  constexpr ParamTable(const ParamSpec (&a)[N]) : specs(a), count(static_cast<std::uint32_t>(N)) {}
};
inline constexpr ParamTable no_params{};

struct PluginDescriptor {
  // --- stable prefix: never moves, whatever the ABI version ---
  std::uint32_t abi_version;
  const char* fingerprint;
  // --- ABI version 1 ---
  PluginKind kind;
  const char* name;
  const char* version;
  const char* summary;
  ParamTable params;
  // Exactly one is set, matching `kind`. Returns an object the host owns (deleted through its virtual
  // destructor while the library is still loaded). May throw; the host reports it with the plugin's name.
  Router* (*create_router)(const Params&, const RouterContext&);
  Task* (*create_task)(const Params&, const TaskContext&);
  // --- ABI version 3 ---
  RouterTraits router_traits;  // routers: what the router is (defaults for tasks)
};

namespace detail {
// Class::traits when the class declares it, else the defaults.
template <class T, class = void>
struct router_traits_of {
  static constexpr RouterTraits value{};
};
template <class T>
struct router_traits_of<T, std::void_t<decltype(T::traits)>> {
  static constexpr RouterTraits value = T::traits;
};
}  // namespace detail

using PluginEntryFn = const PluginDescriptor* (*)();

}  // namespace remix

#define REMIX_DETAIL_PLUGIN_ENTRY(kind_, name_, version_, summary_, params_, router_factory_, task_factory_, \
                                  traits_)                                                               \
  extern "C" __attribute__((visibility("default"))) const ::remix::PluginDescriptor* remix_plugin_entry() {  \
    static const ::remix::PluginDescriptor descriptor{REMIX_PLUGIN_ABI_VERSION,                           \
                                                      REMIX_BUILD_FINGERPRINT,                            \
                                                      kind_,                                              \
                                                      name_,                                              \
                                                      version_,                                           \
                                                      summary_,                                           \
                                                      ::remix::ParamTable(params_),                       \
                                                      router_factory_,                                    \
                                                      task_factory_,                                      \
                                                      traits_};                                           \
    return &descriptor;                                                                                   \
  }

#define REMIX_ROUTER_PLUGIN(Class, name_, version_, summary_, params_)                                     \
  REMIX_DETAIL_PLUGIN_ENTRY(                                                                               \
      ::remix::PluginKind::Router, name_, version_, summary_, params_,                                     \
      [](const ::remix::Params& p, const ::remix::RouterContext& c) -> ::remix::Router* { return new Class(p, c); }, \
      nullptr, ::remix::detail::router_traits_of<Class>::value)

#define REMIX_TASK_PLUGIN(Class, name_, version_, summary_, params_)                                    \
  REMIX_DETAIL_PLUGIN_ENTRY(                                                                            \
      ::remix::PluginKind::Task, name_, version_, summary_, params_, nullptr,                           \
      [](const ::remix::Params& p, const ::remix::TaskContext& c) -> ::remix::Task* { return new Class(p, c); }, \
      ::remix::RouterTraits{})
