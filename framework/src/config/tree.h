// The config tree as read from YAML files and command-line overrides, before validation: untyped scalars,
// maps in file order, and for every node the place it came from (file:line:col, or the override that set it),
// so that every validation error can point at its source.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace remix::config {

struct Origin {
  std::string file;           // the YAML file; empty when the value came from the command line
  int line = 0, column = 0;   // 1-based; 0 when unknown
  std::string override_text;  // the override that set the value ("model.dim=64")
  std::string override_source;  // where that override was written, when not on the command line (a sweep axis)
  // "exp.yaml:12:5", "override 'model.dim=64'", "exp.yaml:9:3: sweep value 'model.dim=64'", or "<defaults>"
  std::string describe() const;
};

struct ConfigNode {
  enum class Kind { Null, Scalar, Sequence, Map };
  Kind kind = Kind::Null;
  std::string scalar;     // raw text of a scalar
  bool quoted = false;    // written in quotes: always a string, never a number or bool
  std::vector<ConfigNode> items;                            // Sequence
  std::vector<std::pair<std::string, ConfigNode>> entries;  // Map, in file order
  Origin origin;          // where the value is
  Origin key_origin;      // where the key that names this node is (for map entries)
  // Set by a plain `a.b=v` override that created a key the file did not have: validation then reports an
  // unknown key as a bad override (use `+a.b=v` to add keys).
  bool from_plain_override = false;

  bool is_map() const { return kind == Kind::Map; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_null() const { return kind == Kind::Null; }
  ConfigNode* find(const std::string& key);
  const ConfigNode* find(const std::string& key) const;
  // Follows a dotted path; nullptr if any part is missing or not a map.
  const ConfigNode* find_path(const std::vector<std::string>& path) const;
  ConfigNode* find_path(const std::vector<std::string>& path);
  bool erase(const std::string& key);
  // Sets (or appends) a map entry, keeping the position of an existing key.
  ConfigNode& set(const std::string& key, ConfigNode value);
  std::vector<std::string> keys() const;
  // A short rendering of the value for messages ("64", "[gate, up]", "{...}").
  std::string brief() const;
};

// Loads a YAML file into a tree. A top-level `include:` (a path or list of paths, relative to the file)
// loads those files first and merges this file's keys over them. Throws ConfigError with file:line:col.
ConfigNode load_yaml_file(const std::string& path);
// Parses YAML text (an override's value); every node gets `origin`.
ConfigNode parse_yaml_text(const std::string& text, const Origin& origin);
// Deep merge: maps merge key by key, anything else in `over` replaces what is in `base`.
void merge_into(ConfigNode& base, const ConfigNode& over);

}  // namespace remix::config
