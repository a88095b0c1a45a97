// A resolved config: the typed, default-filled tree of one trial, its canonical serialisation and the hash
// of that (the trial key), and typed access for the code that runs the trial.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/overrides.h"
#include "config/validate.h"
#include "remix/params.h"

namespace remix::config {

class ResolvedConfig {
 public:
  ResolvedConfig() = default;
  ResolvedConfig(ValidatedConfig validated, std::vector<std::string> files, std::vector<std::string> overrides);

  const nlohmann::json& tree() const { return tree_; }
  // The part of the tree that decides what a trial computes: no paths, verbosity, or sweep block.
  nlohmann::json identity() const;
  // Compact JSON of identity() with sorted keys and shortest round-trip numbers: equal configs, equal text.
  std::string canonical() const;
  // sha256 of canonical(): the trial key.
  std::string trial_key() const;

  bool has(const std::string& dotted) const;
  const nlohmann::json& at(const std::string& dotted) const;  // throws std::out_of_range naming the key
  template <class T>
  T get(const std::string& dotted) const {
    return at(dotted).get<T>();
  }
  std::int64_t get_int(const std::string& dotted) const { return get<std::int64_t>(dotted); }
  double get_float(const std::string& dotted) const { return get<double>(dotted); }
  std::string get_string(const std::string& dotted) const { return get<std::string>(dotted); }
  bool get_bool(const std::string& dotted) const { return get<bool>(dotted); }

  // The plugin named by a block ("router", "tasks.math") and the plain values it receives.
  const PluginSchema& plugin(const std::string& block) const;
  Params plugin_params(const std::string& block) const;
  // Task names (the keys of `tasks`), sorted.
  std::vector<std::string> task_names() const;

  // Every leaf as (dotted key, JSON text of its value), for the params table.
  std::vector<std::pair<std::string, std::string>> flatten() const;
  const std::vector<std::string>& files() const { return files_; }
  const std::vector<std::string>& overrides() const { return overrides_; }

 private:
  nlohmann::json tree_;
  std::set<std::string> not_in_key_;
  std::map<std::string, PluginSchema> plugins_;
  std::vector<std::string> files_;
  std::vector<std::string> overrides_;
};

// Splits command-line overrides into single-valued ones and sweep axes (comma lists).
struct ParsedOverrides {
  std::vector<Override> fixed;
  std::vector<Override> axes;
};
ParsedOverrides parse_overrides(const std::vector<std::string>& texts);

// Loads `file`, applies `overrides` (no sweep axes) and validates. Throws ConfigError / PluginError.
ResolvedConfig resolve(const std::string& file, const std::vector<Override>& overrides,
                       const PluginSchemaLookup& lookup);

// Validates a stored resolved config again (a trial run from the database); `label` says where it came from
// in messages, e.g. "results.db run 12".
ResolvedConfig resolve_json(const nlohmann::json& tree, const std::string& label, const PluginSchemaLookup& lookup);

// The resolved tree as YAML (for `remix config` and --dump-config).
std::string to_yaml(const nlohmann::json& tree);

}  // namespace remix::config
