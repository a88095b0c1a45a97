// Validation of config trees (see validate.h). Two passes: the core keys first (so `plugin_paths` is known),
// then the plugin blocks, each checked against the table of the plugin it names.
#include "config/validate.h"

#include <fmt/format.h>

#include "common/text.h"
#include "config/core_schema.h"
#include "config/typed_value.h"
#include "remix/errors.h"

namespace remix::config {

namespace {

using json = nlohmann::json;

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// Whether a key holding `v` stays out of the trial key (params.h: kParamNotInKey, kParamKeyWhenSet; a changed core
// default is omitted at its old value, core_schema.h).
bool left_out_of_key(const ParamSpec& spec, const json& v) {
  if (spec.flags & kParamNotInKey) return true;
  if (!(spec.flags & kParamKeyWhenSet)) return false;
  ParamSpec neutral = spec;
  neutral.default_value = key_neutral_value(spec);
  return neutral.default_value && v == default_json(neutral);
}

class Validator {
 public:
  Validator(const ConfigNode& root, const PluginSchemaLookup& lookup) : root_(root), lookup_(lookup) {
    for (const auto& spec : core_schema()) {
      std::string name = spec.name;
      for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
        sections_.insert(name.substr(0, dot));
    }
  }

  ValidatedConfig run() {
    out_.tree = json::object();
    if (!root_.is_map()) {
      fail(root_.origin, "", "a config must be a mapping of keys");
      throw_if_failed();
    }
    walk_core(root_, "");
    fill_core_defaults();
    plugin_paths_ = out_.tree.value("plugin_paths", std::vector<std::string>{});
    validate_router();
    validate_tasks();
    throw_if_failed();
    return std::move(out_);
  }

 private:
  static constexpr const char* kDynamic[] = {"router", "tasks", "sweep.parameters"};

  static bool is_dynamic(const std::string& path) {
    for (const char* d : kDynamic)
      if (path == d) return true;
    return false;
  }

  void fail(const Origin& where, const std::string& key, const std::string& what) {
    errors_.push_back(key.empty() ? fmt::format("{}: {}", where.describe(), what)
                                  : fmt::format("{}: {}: {}", where.describe(), key, what));
  }

  void throw_if_failed() {
    if (errors_.empty()) return;
    std::string msg = errors_.size() == 1 ? "invalid config:\n" : fmt::format("invalid config ({} problems):\n", errors_.size());
    for (const auto& e : errors_) msg += "  " + e + "\n";
    msg.pop_back();
    throw ConfigError(msg);
  }

  // Valid keys directly under `prefix` in the core schema (leaves and sections).
  std::vector<std::string> core_children(const std::string& prefix) const {
    std::set<std::string> names;
    std::string p = prefix.empty() ? "" : prefix + ".";
    for (const auto& spec : core_schema()) {
      std::string name = spec.name;
      if (!text::starts_with(name, p)) continue;
      names.insert(text::split(name.substr(p.size()), '.')[0]);
    }
    for (const char* d : kDynamic) {
      std::string name = d;
      if (text::starts_with(name, p)) names.insert(text::split(name.substr(p.size()), '.')[0]);
    }
    return {names.begin(), names.end()};
  }

  void unknown_key(const ConfigNode& node, const std::string& path, const std::string& key,
                   const std::vector<std::string>& valid, const std::string& where) {
    std::string hint = text::did_you_mean(key, valid);
    if (hint.empty()) {
      // A key that exists, but in another section ("train.top_k" -> adapter.top_k).
      for (const auto& spec : core_schema()) {
        std::string name = spec.name;
        if (text::ends_with(name, "." + key) || name == key) {
          hint = " (did you mean '" + name + "'?)";
          break;
        }
      }
    }
    if (node.from_plain_override && !node.key_origin.override_source.empty())
      fail(node.key_origin, path, fmt::format("no such key{}{}", where, hint));
    else if (node.from_plain_override)
      fail(node.key_origin, path,
           fmt::format("no such key{}{}; '+{}=...' adds a key, but only one the schema knows", where, hint, path));
    else
      fail(node.key_origin, path, fmt::format("unknown key{}{}", where, hint));
  }

  void set_leaf(const ParamSpec& spec, const ConfigNode& node, const std::string& path) {
    json v;
    std::string err = to_typed_json(spec, node, v);
    if (!err.empty()) {
      fail(node.origin, path, err);
      return;
    }
    out_.tree[json_pointer_of(path)] = v;
    if (left_out_of_key(spec, v)) out_.not_in_key.insert(path);
  }

  void walk_core(const ConfigNode& node, const std::string& prefix) {
    for (const auto& [key, child] : node.entries) {
      std::string path = join_path(prefix, key);
      if (is_dynamic(path)) {
        if (path == "sweep.parameters") {
          if (!child.is_map() && !child.is_null())
            fail(child.origin, path, "expected a mapping of dotted.key: [values] or {min, max, log}");
          else
            out_.tree[json_pointer_of(path)] = child.is_null() ? json::object() : infer_json(child);
          out_.not_in_key.insert(path);
        }
        continue;  // plugin blocks: second pass
      }
      if (const ParamSpec* spec = find_core_spec(path)) {
        set_leaf(*spec, child, path);
      } else if (sections_.count(path)) {
        if (!child.is_map())
          fail(child.origin, path, fmt::format("expected a mapping of keys, got '{}'", child.brief()));
        else
          walk_core(child, path);
      } else {
        unknown_key(child, path, key, core_children(prefix), "");
      }
    }
  }

  void fill_core_defaults() {
    for (const auto& spec : core_schema()) {
      auto ptr = json_pointer_of(spec.name);
      if (out_.tree.contains(ptr)) continue;
      if (!spec.default_value) {
        fail(root_.origin, spec.name, "missing required key");
        continue;
      }
      out_.tree[ptr] = default_json(spec);
      if (left_out_of_key(spec, out_.tree[ptr])) out_.not_in_key.insert(spec.name);
    }
    if (!out_.tree.contains(json_pointer_of("sweep.parameters"))) out_.tree[json_pointer_of("sweep.parameters")] = json::object();
    out_.not_in_key.insert("sweep");
  }

  // A plugin block: `plugin` names the plugin (or `default_plugin` when absent); every other key is one of
  // the plugin's parameters, or one of `extra` (core keys of the block such as a task's weight).
  void validate_plugin_block(const ConfigNode& block, const std::string& path, PluginKind kind,
                             const std::string& default_plugin, const std::vector<ParamSpec>& extra) {
    if (block.from_plain_override) {
      fail(block.key_origin, path, fmt::format("no such block in the config; add one with '+{}.plugin=NAME'", path));
      return;
    }
    if (!block.is_map()) {
      fail(block.origin, path, fmt::format("expected a mapping with '{}: NAME' and its parameters, got '{}'",
                                           kPluginKey, block.brief()));
      return;
    }
    std::string plugin_name = default_plugin;
    Origin plugin_origin = block.origin;
    if (const ConfigNode* p = block.find(kPluginKey)) {
      if (!p->is_scalar()) {
        fail(p->origin, path + "." + kPluginKey, "expected a plugin name or path to a .so");
        return;
      }
      plugin_name = p->scalar;
      plugin_origin = p->origin;
    }
    if (plugin_name.empty()) {
      fail(block.key_origin, path + "." + kPluginKey, fmt::format("missing required key (the {} plugin to use)",
                                                                  plugin_kind_name(kind)));
      return;
    }
    PluginSchema schema;
    try {
      schema = lookup_(kind, plugin_name, plugin_paths_);
    } catch (const UserError& e) {
      fail(plugin_origin, path + "." + kPluginKey, e.what());
      return;
    }
    out_.tree[json_pointer_of(path + "." + kPluginKey)] = plugin_name;

    std::vector<ParamSpec> specs = extra;
    specs.insert(specs.end(), schema.params.begin(), schema.params.end());
    std::vector<std::string> names;
    for (const auto& s : specs) names.push_back(s.name);
    for (const auto& [key, child] : block.entries) {
      if (key == kPluginKey) continue;
      std::string key_path = path + "." + key;
      const ParamSpec* spec = nullptr;
      for (const auto& s : specs)
        if (key == s.name) spec = &s;
      if (spec)
        set_leaf(*spec, child, key_path);
      else
        unknown_key(child, key_path, key, names,
                    fmt::format(" for {} plugin '{}' ({})", plugin_kind_name(kind), schema.name, schema.path));
    }
    for (const auto& s : specs) {
      std::string key_path = path + "." + s.name;
      auto ptr = json_pointer_of(key_path);
      if (out_.tree.contains(ptr)) continue;
      if (!s.default_value) {
        fail(block.key_origin, key_path, fmt::format("missing required key of {} plugin '{}'", plugin_kind_name(kind),
                                                     schema.name));
        continue;
      }
      out_.tree[ptr] = default_json(s);
      if (left_out_of_key(s, out_.tree[ptr])) out_.not_in_key.insert(key_path);
    }
    out_.plugins[path] = std::move(schema);
  }

  void validate_router() {
    const ConfigNode* router = root_.find("router");
    if (!router) {
      fail(root_.origin, "router", "missing required key (a block with 'plugin: remix|softmax|hydra|lora')");
      return;
    }
    validate_plugin_block(*router, "router", PluginKind::Router, "", {});
  }

  void validate_tasks() {
    const ConfigNode* tasks = root_.find("tasks");
    if (!tasks) {
      fail(root_.origin, "tasks", "missing required key (a mapping of task name to its block, e.g. 'math: {}')");
      return;
    }
    if (!tasks->is_map() || tasks->entries.empty()) {
      fail(tasks->origin, "tasks", "expected a mapping of task name to its block, e.g. 'math: {weight: 1}'");
      return;
    }
    static const ParamSpec kWeight =
        param(kTaskWeightKey, ParamType::Float, "1.0", "share of training batches drawn from this task")
            .range(0, 1e6);
    for (const auto& [name, block] : tasks->entries) {
      // `math: {}` and a bare `math:` both mean the plugin of that name with its defaults.
      ConfigNode b = block;
      if (b.is_null()) b.kind = ConfigNode::Kind::Map;
      validate_plugin_block(b, "tasks." + name, PluginKind::Task, name, {kWeight});
    }
    // Every weight 0 leaves nothing to train on: said here, at file:line, rather than by each trial of a sweep. The
    // weights as validated (typed; absent where the value itself was refused above).
    std::vector<std::string> zero;
    for (const auto& [name, block] : tasks->entries) {
      const std::string key = "tasks." + name + "." + kTaskWeightKey;
      auto ptr = json_pointer_of(key);
      const ConfigNode* w = block.is_map() ? block.find(kTaskWeightKey) : nullptr;
      if (w && out_.tree.contains(ptr) && out_.tree[ptr].is_number() && out_.tree[ptr].get<double>() == 0.0)
        zero.push_back(key + " = " + w->scalar);
    }
    if (zero.size() == tasks->entries.size())
      fail(tasks->origin, "tasks",
           fmt::format("every task's weight is 0 ({}): nothing to train on; give at least one task a positive weight "
                       "(a task of weight 0 is evaluated only)",
                       text::join(zero, ", ")));
  }

  const ConfigNode& root_;
  const PluginSchemaLookup& lookup_;
  std::set<std::string> sections_;
  std::vector<std::string> plugin_paths_;
  std::vector<std::string> errors_;
  ValidatedConfig out_;
};

}  // namespace

ValidatedConfig validate(const ConfigNode& root, const PluginSchemaLookup& lookup) {
  return Validator(root, lookup).run();
}

}  // namespace remix::config
