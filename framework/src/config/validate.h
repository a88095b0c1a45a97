// Validation of a config tree against the core schema and the schemas of the plugins it names, producing
// the typed, default-filled tree. Every problem found is reported (not only the first), each as
// "file:line:col: dotted.key: what is wrong" with a suggestion for typos.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/tree.h"
#include "remix/params.h"
#include "remix/plugin.h"

namespace remix::config {

// What validation needs to know of a plugin.
struct PluginSchema {
  std::string name;
  PluginKind kind = PluginKind::Router;
  std::string version;
  std::string path;  // the shared library it was read from
  std::vector<ParamSpec> params;  // its strings live in the library...
  std::shared_ptr<const void> library;  // ...which this keeps loaded
  RouterTraits router_traits;  // what a router plugin is (its descriptor's static facts)
};

// Finds a plugin by name (or by path to its .so) in `plugin_paths` and the default search path; throws
// PluginError saying what was searched when there is none, or why the library cannot be used.
using PluginSchemaLookup =
    std::function<PluginSchema(PluginKind kind, const std::string& name_or_path,
                               const std::vector<std::string>& plugin_paths)>;

struct ValidatedConfig {
  nlohmann::json tree;                         // every key, typed, defaults filled
  std::set<std::string> not_in_key;            // dotted paths excluded from the trial key
  std::map<std::string, PluginSchema> plugins; // by block path: "router", "tasks.math"
};

// Throws ConfigError listing every problem.
ValidatedConfig validate(const ConfigNode& root, const PluginSchemaLookup& lookup);

}  // namespace remix::config
