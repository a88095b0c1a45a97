// Loading YAML into ConfigNode trees with source positions (see tree.h).
#include "config/tree.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <unordered_set>

#include "config/limits.h"
#include "remix/errors.h"

namespace remix::config {

namespace fs = std::filesystem;

std::string Origin::describe() const {
  if (!override_text.empty() && !override_source.empty())
    return override_source + ": sweep value '" + override_text + "'";
  if (!override_text.empty()) return "override '" + override_text + "'";
  if (file.empty()) return "<defaults>";
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigNode* ConfigNode::find(const std::string& key) {
  for (auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}
const ConfigNode* ConfigNode::find(const std::string& key) const {
  return const_cast<ConfigNode*>(this)->find(key);
}

ConfigNode* ConfigNode::find_path(const std::vector<std::string>& path) {
  ConfigNode* n = this;
  for (const auto& part : path) {
    if (!n->is_map()) return nullptr;
    n = n->find(part);
    if (!n) return nullptr;
  }
  return n;
}
const ConfigNode* ConfigNode::find_path(const std::vector<std::string>& path) const {
  return const_cast<ConfigNode*>(this)->find_path(path);
}

bool ConfigNode::erase(const std::string& key) {
  for (auto it = entries.begin(); it != entries.end(); ++it)
    if (it->first == key) {
      entries.erase(it);
      return true;
    }
  return false;
}

ConfigNode& ConfigNode::set(const std::string& key, ConfigNode value) {
  if (ConfigNode* existing = find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  entries.emplace_back(key, std::move(value));
  return entries.back().second;
}

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.first);
  return out;
}

std::string ConfigNode::brief() const {
  switch (kind) {
    case Kind::Null: return "null";
    case Kind::Scalar: return scalar;
    case Kind::Sequence: {
      std::string s = "[";
      for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i].brief();
      return s + "]";
    }
    case Kind::Map: return "{...}";
  }
  return "";
}

namespace {

Origin origin_of(const YAML::Mark& m, const std::string& file, const Origin& fallback) {
  if (m.is_null()) return fallback;
  Origin o = fallback;
  o.line = m.line + 1;
  o.column = m.column + 1;
  if (fallback.override_text.empty()) o.file = file;
  return o;
}

// What loading one config may still spend (config/limits.h); shared by the files it includes.
struct Budget {
  std::int64_t nodes = kConfigLimits.nodes;
  std::int64_t files = kConfigLimits.include_files;
};

[[noreturn]] void over_limit(const Origin& where, const std::string& what) {
  throw ConfigError(where.describe() + ": " + what + " (a config is refused beyond config/limits.h's limits)");
}

// A YAML node as a config tree, spending one node of the budget per value, key or list, refusing nesting
// past the depth limit before it recurses: an alias bomb or a generated file stops here, not in memory.
ConfigNode convert(const YAML::Node& y, const std::string& file, const Origin& fallback, Budget& budget,
                   std::int64_t depth) {
  ConfigNode n;
  n.origin = origin_of(y.Mark(), file, fallback);
  if (--budget.nodes < 0)
    over_limit(n.origin, "the config expands to more than " + std::to_string(kConfigLimits.nodes) +
                             " values (YAML aliases and includes expanded)");
  if (depth > kConfigLimits.depth)
    over_limit(n.origin, "the config nests deeper than " + std::to_string(kConfigLimits.depth) + " levels");
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      n.kind = ConfigNode::Kind::Null;
      break;
    case YAML::NodeType::Scalar:
      n.kind = ConfigNode::Kind::Scalar;
      n.scalar = y.Scalar();
      n.quoted = y.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      n.kind = ConfigNode::Kind::Sequence;
      for (const auto& item : y) n.items.push_back(convert(item, file, fallback, budget, depth + 1));
      break;
    case YAML::NodeType::Map: {
      n.kind = ConfigNode::Kind::Map;
      std::unordered_set<std::string> seen;
      for (const auto& kv : y) {
        Origin key_origin = origin_of(kv.first.Mark(), file, fallback);
        if (!kv.first.IsScalar())
          throw ConfigError(key_origin.describe() + ": map keys must be plain names");
        std::string key = kv.first.Scalar();
        if (!seen.insert(key).second)
          throw ConfigError(key_origin.describe() + ": duplicate key '" + key + "'");
        ConfigNode child = convert(kv.second, file, fallback, budget, depth + 1);
        child.key_origin = key_origin;
        n.entries.emplace_back(key, std::move(child));
      }
      break;
    }
  }
  return n;
}

YAML::Node parse_or_throw(const std::string& text, const std::string& where) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML syntax error: " + e.msg);
  }
}

ConfigNode load_file(const std::string& path, std::set<std::string>& open_files, Budget& budget,
                     const Origin& included_at, std::int64_t include_depth) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  if (!fs::exists(path)) throw ConfigError(path + ": no such config file");
  if (fs::is_directory(path)) throw ConfigError(path + ": is a directory, not a config file");
  if (!open_files.insert(canonical.string()).second)
    throw ConfigError(path + ": included from itself (include cycle)");
  if (include_depth > kConfigLimits.include_depth)
    over_limit(included_at, "includes nest deeper than " + std::to_string(kConfigLimits.include_depth) + " files");
  if (--budget.files < 0)
    over_limit(included_at, "the config loads more than " + std::to_string(kConfigLimits.include_files) +
                                " files through its includes");
  auto bytes = fs::file_size(path, ec);
  if (!ec && bytes > static_cast<std::uintmax_t>(kConfigLimits.file_bytes))
    throw ConfigError(path + ": the config file has " + std::to_string(bytes) + " bytes, more than the " +
                      std::to_string(kConfigLimits.file_bytes) + " a config may have (config/limits.h)");
  YAML::Node y;
  try {
    y = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {  // DeepRecursion too: yaml-cpp bounds its own recursion
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML syntax error: " + e.msg);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot read config file");
  }
  Origin file_origin;
  file_origin.file = path;
  ConfigNode root = convert(y, path, file_origin, budget, 0);
  if (root.is_null()) {
    root.kind = ConfigNode::Kind::Map;  // an empty file is an empty config
    root.origin = file_origin;
  }
  if (!root.is_map()) throw ConfigError(root.origin.describe() + ": a config file must be a mapping of keys");

  ConfigNode merged;
  merged.kind = ConfigNode::Kind::Map;
  merged.origin = root.origin;
  if (const ConfigNode* inc = root.find("include")) {
    std::vector<const ConfigNode*> paths;
    if (inc->is_scalar()) paths.push_back(inc);
    else if (inc->kind == ConfigNode::Kind::Sequence)
      for (const auto& item : inc->items) paths.push_back(&item);
    for (const ConfigNode* p : paths) {
      if (!p->is_scalar())
        throw ConfigError(p->origin.describe() + ": include: expected a file path");
      fs::path target = fs::path(path).parent_path() / p->scalar;
      if (!fs::exists(target))
        throw ConfigError(p->origin.describe() + ": include: no such file '" + target.string() + "'");
      merge_into(merged, load_file(target.string(), open_files, budget, p->origin, include_depth + 1));
    }
    if (paths.empty()) throw ConfigError(inc->origin.describe() + ": include: expected a path or a list of paths");
    root.erase("include");
  }
  merge_into(merged, root);
  open_files.erase(canonical.string());
  return merged;
}

}  // namespace

void merge_into(ConfigNode& base, const ConfigNode& over) {
  if (base.is_map() && over.is_map()) {
    for (const auto& [key, value] : over.entries) {
      if (ConfigNode* existing = base.find(key)) {
        merge_into(*existing, value);
        existing->key_origin = value.key_origin;
      } else {
        base.entries.emplace_back(key, value);
      }
    }
    return;
  }
  base = over;
}

ConfigNode load_yaml_file(const std::string& path) {
  std::set<std::string> open_files;
  Budget budget;
  Origin top;
  top.file = path;
  return load_file(path, open_files, budget, top, 0);
}

ConfigNode parse_yaml_text(const std::string& text, const Origin& origin) {
  if (static_cast<std::int64_t>(text.size()) > kConfigLimits.override_bytes)
    over_limit(origin, "the value has " + std::to_string(text.size()) + " bytes, more than the " +
                           std::to_string(kConfigLimits.override_bytes) + " an override may have");
  YAML::Node y = parse_or_throw(text, origin.describe());
  Budget budget;
  ConfigNode n = convert(y, "", origin, budget, 0);
  // Positions inside a one-line override value are not useful; point at the override itself.
  struct Reset {
    const Origin& o;
    void operator()(ConfigNode& n) const {
      n.origin = o;
      n.key_origin = o;
      for (auto& i : n.items) (*this)(i);
      for (auto& e : n.entries) (*this)(e.second);
    }
  };
  Reset{origin}(n);
  return n;
}

}  // namespace remix::config
