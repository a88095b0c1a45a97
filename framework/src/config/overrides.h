// Command-line overrides (docs/architecture.md §9): `a.b=v` sets an existing key, `+a.b=v` adds a key, `~a.b` removes
// one, and `a.b=v1,v2,...` marks a sweep axis. Values are YAML (`a=[gate, up]` is a list, `a="x,y"` one
// string); commas inside brackets or quotes do not split.
#pragma once

#include <string>
#include <vector>

#include "config/tree.h"

namespace remix::config {

struct Override {
  enum class Op { Set, Add, Remove };
  Op op = Op::Set;
  std::vector<std::string> path;    // dotted key split at '.'
  std::vector<std::string> values;  // YAML text of each value; more than one marks a sweep axis
  std::string text;                 // the override as written
  std::string source;               // file:line:col when it comes from a sweep block, else empty

  std::string key() const;                 // the dotted path
  bool is_sweep_axis() const { return values.size() > 1; }
  // The same override with one value of a sweep axis.
  Override with_value(const std::string& value) const;
};

// Parses one override; throws ConfigError naming it when malformed.
Override parse_override(const std::string& text);
// Splits `v1,v2,...` at top-level commas (not inside [], {}, or quotes).
std::vector<std::string> split_values(const std::string& text);

// Applies single-valued overrides in order. `a.b=v` on a key the tree lacks creates it marked
// from_plain_override (validation accepts it only if the schema knows the key); `+a.b=v` on a key the tree
// has, or `~a.b` on one it lacks, throws ConfigError. Sweep axes must be expanded by the caller first.
void apply_overrides(ConfigNode& root, const std::vector<Override>& overrides);

}  // namespace remix::config
